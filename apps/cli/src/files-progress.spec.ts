import { FilesProgress } from './files-progress.js';
import { StatusLine } from './status-line.js';

describe('FilesProgress', () => {
  it('draws files done and bytes moved by all files, and counts a file restarting at 0 down', () => {
    const drawn: string[] = [];
    const progress = new FilesProgress(new StatusLine({ write: (t) => drawn.push(t.replace('\r\x1b[K', '')) > 0, columns: 80 }), 3);
    progress.update(0, 1024);
    progress.update(1, 2048);
    progress.update(0, 3072);
    progress.fileDone(0);
    // A retried file starts over: its bytes are counted once.
    progress.update(1, 0);
    progress.update(1, 4096);
    progress.fileDone(1);
    progress.close();
    expect(drawn).toEqual([
      '0 of 3 files, 1.0 KiB',
      '0 of 3 files, 3.0 KiB',
      '0 of 3 files, 5.0 KiB',
      '1 of 3 files, 5.0 KiB',
      '1 of 3 files, 3.0 KiB',
      '1 of 3 files, 7.0 KiB',
      '2 of 3 files, 7.0 KiB',
      '',
    ]);
  });

  it('only counts without a line (no terminal, --quiet, --json)', () => {
    const progress = new FilesProgress(undefined, 2);
    progress.update(0, 10);
    progress.fileDone(0);
    expect(() => progress.close()).not.toThrow();
  });
});
