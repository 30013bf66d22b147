/** Where a status line is drawn: a TTY stream (process.stderr), or a fake in tests. */
export interface ProgressStream {
  write(text: string): boolean;
  /** Terminal width; 80 when unknown. */
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[K';

/**
 * One line of a terminal redrawn in place (the progress bar of a transfer,
 * the progress of `node drain --wait`), never wider than the terminal, and
 * cleared at the end so that what follows starts clean.
 */
export class StatusLine {
  private drawn = false;

  constructor(private readonly stream: ProgressStream) {}

  /** Columns a line may use: the terminal's less one, so it never wraps. A pty may report 0 columns: taken as 80. */
  get width(): number {
    return (this.stream.columns || 80) - 1;
  }

  /** Replaces the line with `text`, cut to the width. */
  draw(text: string): void {
    this.drawn = true;
    this.stream.write(CLEAR_LINE + text.slice(0, this.width));
  }

  /** Clears the line (when anything was drawn). */
  done(): void {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }
}
