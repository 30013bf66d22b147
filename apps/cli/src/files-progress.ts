import { formatSize } from './format-size.js';
import type { StatusLine } from './status-line.js';

/**
 * The progress of several files moving at once, on one status line
 * ("3 of 20 files, 12.0 MiB"): one bar per file would fight over the line.
 * Without a line (no terminal, --quiet, --json) it only counts.
 */
export class FilesProgress {
  private readonly loaded = new Map<number, number>();
  private bytes = 0;
  private done = 0;

  constructor(
    private readonly line: StatusLine | undefined,
    private readonly files: number,
  ) {}

  /** File `index` has moved `loaded` bytes so far. */
  update(index: number, loaded: number): void {
    this.bytes += loaded - (this.loaded.get(index) ?? 0);
    this.loaded.set(index, loaded);
    this.draw();
  }

  /** File `index` is complete. */
  fileDone(index: number): void {
    this.loaded.delete(index);
    this.done++;
    this.draw();
  }

  close(): void {
    this.line?.done();
  }

  private draw(): void {
    this.line?.draw(`${this.done} of ${this.files} files, ${formatSize(this.bytes, true)}`);
  }
}
