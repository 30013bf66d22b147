import { FilesProgress } from './files-progress.js';
import { StatusLine } from './status-line.js';

const CLEAR = '\r\x1b[K';

/** A FilesProgress on a fake terminal; `screen` is every write in order, stdout's marked. */
function setUp(files: number) {
  const screen: string[] = [];
  let time = 0;
  const line = new StatusLine({ write: (t) => screen.push(t.startsWith(CLEAR) ? `[${t.slice(CLEAR.length)}]` : t) > 0, columns: 80 });
  const progress = new FilesProgress(line, files, () => time);
  return { screen, progress, advance: (ms: number) => (time += ms) };
}

describe('FilesProgress', () => {
  it('draws files done and bytes moved by all files, at most every 100 ms for bytes, always for a file done', () => {
    const { screen, progress, advance } = setUp(3);
    progress.update(0, 1024);
    progress.update(1, 2048); // within 100 ms: counted, not drawn
    advance(100);
    progress.update(0, 3072);
    progress.fileDone(0);
    // A retried file starts over: its bytes are counted once.
    advance(100);
    progress.update(1, 0);
    advance(100);
    progress.update(1, 4096);
    progress.fileDone(1);
    progress.close();
    expect(screen).toEqual(['[0 of 3 files, 1.0 KiB]', '[0 of 3 files, 5.0 KiB]', '[1 of 3 files, 5.0 KiB]', '[1 of 3 files, 3.0 KiB]', '[1 of 3 files, 7.0 KiB]', '[2 of 3 files, 7.0 KiB]', '[]']);
  });

  it('prints result lines above the status line, and draws nothing once closed', () => {
    const { screen, progress, advance } = setUp(2);
    progress.fileDone(0);
    progress.print(() => screen.push('uploaded a\n'));
    progress.close();
    advance(1000);
    progress.update(1, 10);
    progress.fileDone(1);
    progress.print(() => screen.push('uploaded b\n'));
    expect(screen).toEqual(['[1 of 2 files, 0 B]', '[]', 'uploaded a\n', '[1 of 2 files, 0 B]', '[]', 'uploaded b\n']);
  });
});
