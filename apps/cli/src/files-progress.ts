import { formatSize } from './format-size.js';
import type { StatusLine } from './status-line.js';

/** Least time between two redraws for bytes alone (a file done always redraws). */
const REDRAW_MS = 100;

/**
 * The progress of several files moving at once, on one status line
 * ("3 of 20 files, 12 MiB"): one bar per file would fight over the line.
 * Result lines go through print(), which writes them above it. Without a
 * line (no terminal, --quiet, --json) it only counts.
 */
export class FilesProgress {
  private readonly loaded = new Map<number, number>();
  private bytes = 0;
  private done = 0;
  private lastDraw = -Infinity;
  private closed = false;

  constructor(
    private readonly line: StatusLine | undefined,
    private readonly files: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** File `index` has moved `loaded` bytes so far. */
  update(index: number, loaded: number): void {
    this.bytes += loaded - (this.loaded.get(index) ?? 0);
    this.loaded.set(index, loaded);
    if (this.now() - this.lastDraw >= REDRAW_MS) this.draw();
  }

  /** File `index` is complete. */
  fileDone(index: number): void {
    this.loaded.delete(index);
    this.done++;
    this.draw();
  }

  /**
   * Runs `write` (which prints a result line on stdout) with the status line
   * cleared, then draws it again: on a terminal both streams share the
   * screen, and the line's text would otherwise run into the result.
   */
  print(write: () => void): void {
    this.line?.done();
    write();
    if (!this.closed) this.draw();
  }

  /** Clears the line for good: later progress draws nothing. */
  close(): void {
    this.closed = true;
    this.line?.done();
  }

  private draw(): void {
    if (this.closed) return;
    this.lastDraw = this.now();
    this.line?.draw(`${this.done} of ${this.files} files, ${formatSize(this.bytes, true)}`);
  }
}
