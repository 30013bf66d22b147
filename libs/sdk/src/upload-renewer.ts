import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Code, DfsError } from '@dfs/proto';
import type { ClientContext } from './client-context.js';

/** A renewal that gets no answer in this long is tried again (sooner than expiry). */
const RENEW_TIMEOUT_MS = 10_000;
/** Never renew more often than this, however short the upload TTL. */
const MIN_DELAY_MS = 500;

/**
 * Keeps an open upload from expiring while its chunks are written: the
 * coordinator expires an upload a TTL (15 min by default) after its last
 * call, and an upload whose chunks were all placed at CreateUpload makes no
 * call until its commit. Renews at half the time left; a renewal that fails
 * is tried again at a quarter of what is left then. Ends with stop(), or
 * when the coordinator says the upload is gone (the commit then says so).
 */
export class UploadRenewer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly uploadId: string,
    expiresAt: Timestamp | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (expiresAt) this.schedule(timestampMs(expiresAt), 2);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(expiresAtMs: number, fraction: number): void {
    if (this.stopped) return;
    const delay = Math.max(MIN_DELAY_MS, (expiresAtMs - this.now()) / fraction);
    // unref: a renewal must not keep a process alive whose upload was abandoned.
    this.timer = setTimeout(() => void this.renew(expiresAtMs), delay).unref();
  }

  private async renew(expiresAtMs: number): Promise<void> {
    try {
      const { expiresAt } = await this.ctx.coordinator((c, o) => c.renewUpload({ uploadId: this.uploadId }, o), AbortSignal.timeout(RENEW_TIMEOUT_MS));
      this.schedule(expiresAt ? timestampMs(expiresAt) : expiresAtMs, 2);
    } catch (err) {
      if (DfsError.from(err).code === Code.NotFound) return;
      this.schedule(expiresAtMs, 4);
    }
  }
}
