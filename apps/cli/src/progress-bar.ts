import { formatDuration } from './format-duration.js';
import { formatSize } from './format-size.js';
import { StatusLine, type ProgressStream } from './status-line.js';

export interface ProgressBarOptions {
  /** Shown first on the line: the file being transferred. */
  label: string;
  stream: ProgressStream;
  /** Default Date.now; tests pass a fake clock. */
  now?: () => number;
  /** Redraws at most this often, in ms. Default 100. */
  intervalMs?: number;
}

// The rate is measured over the last few seconds: an average since the start
// would hide a transfer that stalls or speeds up.
const RATE_WINDOW_MS = 5_000;

/**
 * One line redrawn in place: label, bar, percent, bytes, rate and ETA; for an
 * upload of unknown length (a pipe), bytes and rate only.
 */
export class ProgressBar {
  private readonly now: () => number;
  private readonly samples: { at: number; loaded: number }[] = [];
  private lastDraw = -Infinity;
  private readonly line: StatusLine;

  constructor(private readonly options: ProgressBarOptions) {
    this.now = options.now ?? Date.now;
    this.line = new StatusLine(options.stream);
    this.samples.push({ at: this.now(), loaded: 0 });
  }

  /** Records progress; redraws unless the last redraw was under `intervalMs` ago (the final one always draws). */
  update(loaded: number, total?: number): void {
    const at = this.now();
    this.samples.push({ at, loaded });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= RATE_WINDOW_MS) this.samples.shift();
    const finished = total !== undefined && loaded >= total;
    if (!finished && at - this.lastDraw < (this.options.intervalMs ?? 100)) return;
    this.lastDraw = at;
    this.line.draw(this.render(loaded, total));
  }

  /** Clears the line, so what follows on the terminal starts clean. */
  done(): void {
    this.line.done();
  }

  /** The line for `loaded` of `total` bytes, fitted to the terminal width. */
  render(loaded: number, total?: number): string {
    const rate = this.rate();
    const speed = rate === undefined ? '' : `  ${formatSize(rate, true)}/s`;
    const width = this.line.width;
    if (total === undefined) {
      return fit(this.options.label, `  ${formatSize(loaded, true)}${speed}`, width);
    }
    const fraction = total === 0 ? 1 : Math.min(1, loaded / total);
    const eta = rate ? `  ETA ${formatDuration(((total - loaded) / rate) * 1000)}` : '';
    const stats = `  ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatSize(loaded, true)}/${formatSize(total, true)}${speed}${eta}`;
    // Sized by the terminal alone (room for the widest numbers and a short label), so it does not jump
    // as the numbers change; on a narrow terminal it goes first.
    const barWidth = Math.min(30, width - 65);
    if (barWidth < 10) return fit(this.options.label, stats, width);
    const filled = Math.round(fraction * barWidth);
    return fit(this.options.label, `  [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${stats}`, width);
  }

  /** Bytes per second over the window, or undefined before any time has passed. */
  private rate(): number | undefined {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const ms = last.at - first.at;
    return ms > 0 ? ((last.loaded - first.loaded) * 1000) / ms : undefined;
  }
}

/** The label shortened from the left (the file name is at the end) so label + rest fit in `width`. */
function fit(label: string, rest: string, width: number): string {
  const room = width - rest.length;
  if (label.length <= room) return label + rest;
  if (room <= 1) return rest.trimStart().slice(0, width);
  return `…${label.slice(label.length - room + 1)}${rest}`;
}
