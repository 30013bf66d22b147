import { Code, DfsError } from '@dfs/proto';
import type { ClientContext } from './client-context.js';

/** A renewal that gets no answer in this long is tried again. */
const RENEW_TIMEOUT_MS = 10_000;
/** Never renew more often than this, however short the upload TTL. */
const MIN_DELAY_MS = 500;
/** setTimeout's longest delay (a longer one fires at once). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Keeps an open upload from expiring while its chunks are written: the
 * coordinator expires an upload a TTL (15 min by default) after its last
 * call, and an upload whose chunks were all placed at CreateUpload makes no
 * call until its commit. Renews at half the TTL, counted on this client's
 * clock from each answer (the coordinator's expires_at is on its own
 * clock, which may be skewed); a renewal that fails is tried again at an
 * eighth. Ends with stop(), when the upload is gone (the commit then says
 * so), or against a coordinator without RenewUpload (or that sends no TTL).
 */
export class UploadRenewer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly uploadId: string,
    ttlMs: bigint,
  ) {
    this.schedule(Number(ttlMs), 2);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ttlMs: number, fraction: number): void {
    if (this.stopped || !(ttlMs > 0)) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, ttlMs / fraction));
    // unref: a renewal must not keep alive a process whose upload was abandoned.
    this.timer = setTimeout(() => void this.renew(ttlMs), delay).unref();
  }

  private async renew(ttlMs: number): Promise<void> {
    try {
      const answer = await this.ctx.coordinator((c, o) => c.renewUpload({ uploadId: this.uploadId }, o), AbortSignal.timeout(RENEW_TIMEOUT_MS));
      this.schedule(Number(answer.ttlMs) || ttlMs, 2);
    } catch (err) {
      const code = DfsError.from(err).code;
      if (code === Code.NotFound || code === Code.Unimplemented) return;
      this.schedule(ttlMs, 8);
    }
  }
}
