import { setTimeout as sleep } from 'node:timers/promises';
import { Code, DfsError, MAX_FRAME_SIZE, errorReason } from '@dfs/proto';
import { chunkFileLength } from './chunk-header.js';
import type { ChunkReader, ChunkStore, ChunkStoreLogger } from './chunk-store.js';
import { isMediaError } from './store-errors.js';
import { TokenBucket } from './token-bucket.js';

export interface ChunkScrubberOptions {
  /** Bytes read per second (headers and trailers included), > 0. Required. */
  bytesPerSecond: number;
  /** Pause between the end of a round and the start of the next. Default 1 h. */
  intervalMs: number;
  /** Bytes per read, which is also the read buffer: 64 KiB..4 MiB. Default 256 KiB. */
  readSize: number;
  /** Where rounds and unreadable chunks are logged. Default: silent. */
  logger: ChunkStoreLogger;
  /** Called with every round's summary, also one cut short. Default: does nothing. */
  onRound: (summary: ScrubRoundSummary) => void;
}

/** What one pass over the store found. */
export interface ScrubRoundSummary {
  round: number;
  /** Chunks read to the end and found intact. */
  verified: number;
  /**
   * Chunks that failed verification. The store quarantined each and told
   * its onCorrupt, unless the chunk had been replaced meanwhile.
   */
  corrupt: number;
  /** Chunks deleted (or quarantined by a client's read) between the walk finding them and the scrubber opening them. */
  vanished: number;
  /**
   * Chunks that could not be read for a reason other than their content (an
   * I/O error): left in place, tried again next round.
   */
  unreadable: number;
  /**
   * Chunks that failed with a media error (EIO …) in an earlier round and
   * again in this one, with no good read between: condemned (taken out of
   * service) and reported through the store's onCorrupt, so the coordinator
   * makes a good copy elsewhere.
   */
  condemned: number;
  /** Bytes read, headers and trailers included. */
  bytes: number;
  elapsedMs: number;
  /** False when the round was cut short: shutdown, or the walk of the store failed. */
  complete: boolean;
}

type ChunkOutcome = 'verified' | 'corrupt' | 'vanished' | 'unreadable' | 'condemned';

const DEFAULT_READ_SIZE = 256 * 1024;
const MIN_READ_SIZE = 64 * 1024;
const silentLogger: ChunkStoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Re-verifies every stored chunk in the background, round after round: each
 * is opened (header, length and block digests against the chunk checksum)
 * and read to the end through the store's own reader, which checks every
 * 64 KiB block and quarantines the chunk at the first mismatch; the store's
 * onCorrupt then reports it. Reads are paced by a token bucket, one chunk at
 * a time with one bounded buffer, and take no lock, so client reads and
 * writes never wait for the scrubber. A proven mismatch quarantines at
 * once; an I/O error leaves the chunk in place to be tried again. But a
 * media error (EIO: a bad sector) that comes back the next round condemns
 * the chunk, which reports it: otherwise the coordinator would count, for
 * ever, a copy that no client can read. Transient errors (EMFILE …) never do.
 */
export class ChunkScrubber {
  private readonly o: ChunkScrubberOptions;
  private readonly bucket: TokenBucket;
  /**
   * Chunks whose last telling read failed with a media error: the round it
   * happened in, and the last round that met the chunk. An entry goes once
   * the chunk reads well, is condemned, or is not met by a complete round
   * (deleted): at most one per chunk.
   */
  private readonly suspects = new Map<string, { since: number; seen: number }>();

  constructor(
    private readonly store: ChunkStore,
    options: Partial<ChunkScrubberOptions> & Pick<ChunkScrubberOptions, 'bytesPerSecond'>,
  ) {
    this.o = { intervalMs: 3_600_000, readSize: DEFAULT_READ_SIZE, logger: silentLogger, onRound: () => undefined, ...options };
    const { bytesPerSecond, intervalMs, readSize } = this.o;
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) {
      throw new DfsError(Code.InvalidArgument, `scrub rate must be a positive number of bytes per second, got ${bytesPerSecond}`, { reason: 'CONFIG' });
    }
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new DfsError(Code.InvalidArgument, `scrub interval must be a duration of 0 ms or more, got ${intervalMs}`, { reason: 'CONFIG' });
    }
    if (!Number.isSafeInteger(readSize) || readSize < MIN_READ_SIZE || readSize > MAX_FRAME_SIZE) {
      throw new DfsError(Code.InvalidArgument, `scrub read size must be ${MIN_READ_SIZE}..${MAX_FRAME_SIZE} bytes, got ${readSize}`, { reason: 'CONFIG' });
    }
    // A burst of one read: a round starting after a long pause does not get
    // to read faster than the rate for its first seconds.
    this.bucket = new TokenBucket(bytesPerSecond, readSize);
  }

  /** Scrubs round after round until `signal` aborts or the store closes. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    for (let round = 1; ; round++) {
      const { stop } = await this.round(round, signal);
      if (stop) return;
      try {
        await sleep(this.o.intervalMs, undefined, { signal });
      } catch {
        return; // aborted while pausing
      }
    }
  }

  /** One pass over every chunk in the store. */
  async scrubRound(round: number, signal: AbortSignal): Promise<ScrubRoundSummary> {
    return (await this.round(round, signal)).summary;
  }

  private async round(round: number, signal: AbortSignal): Promise<{ summary: ScrubRoundSummary; stop: boolean }> {
    const started = performance.now();
    const summary: ScrubRoundSummary = { round, verified: 0, corrupt: 0, vanished: 0, unreadable: 0, condemned: 0, bytes: 0, elapsedMs: 0, complete: false };
    let stop = false;
    this.o.logger.info({ round }, 'scrub round started');
    try {
      for await (const chunkId of this.store.chunkIds({ signal })) {
        const { outcome, bytes } = await this.scrubChunk(chunkId, round, signal);
        summary[outcome]++;
        summary.bytes += bytes;
      }
      summary.complete = true;
      // Suspects this whole pass did not meet are gone (deleted meanwhile).
      for (const [chunkId, { seen }] of this.suspects) if (seen < round) this.suspects.delete(chunkId);
    } catch (err) {
      stop = isStop(err, signal);
      // The walk itself failed (e.g. EMFILE on a directory): the next round starts over.
      if (!stop) this.o.logger.error({ err, round }, 'scrub round failed; the next round starts over');
    }
    summary.elapsedMs = Math.round(performance.now() - started);
    const rate = summary.elapsedMs > 0 ? Math.round((summary.bytes * 1000) / summary.elapsedMs) : 0;
    this.o.logger.info({ ...summary, bytesPerSecond: rate }, summary.complete ? 'scrub round finished' : 'scrub round stopped');
    try {
      this.o.onRound(summary);
    } catch (err) {
      this.o.logger.error({ err }, 'onRound threw; ignored');
    }
    return { summary, stop };
  }

  /** Reads one chunk to the end; throws only what stops the scrubber (abort, store closed). */
  private async scrubChunk(chunkId: string, round: number, signal: AbortSignal): Promise<{ outcome: ChunkOutcome; bytes: number }> {
    let reader: ChunkReader;
    try {
      reader = await this.store.openReader(chunkId, { signal });
    } catch (err) {
      return { outcome: await this.failed(err, chunkId, round, signal), bytes: 0 };
    }
    let bytes = 0;
    try {
      // Opening read the header and the whole block-digest trailer.
      bytes = chunkFileLength(reader.info.size) - reader.info.size;
      await this.bucket.take(bytes, signal);
      for await (const piece of reader.read({ offset: 0, length: 0, frameSize: this.o.readSize, signal })) {
        bytes += piece.length;
        await this.bucket.take(piece.length, signal);
      }
      this.suspects.delete(chunkId);
      return { outcome: 'verified', bytes };
    } catch (err) {
      return { outcome: await this.failed(err, chunkId, round, signal), bytes };
    } finally {
      await reader.close();
    }
  }

  /** What a failed open or read of a chunk means; throws only what stops the scrubber. */
  private async failed(err: unknown, chunkId: string, round: number, signal: AbortSignal): Promise<ChunkOutcome> {
    if (isStop(err, signal)) throw err;
    const media = isMediaError(err);
    const suspect = this.suspects.get(chunkId);
    const since = suspect?.since;
    if (errorReason(err) === 'CORRUPT_CHUNK' || DfsError.from(err).code === Code.NotFound) {
      this.suspects.delete(chunkId);
      return errorReason(err) === 'CORRUPT_CHUNK' ? 'corrupt' : 'vanished';
    }
    if (!media || since === undefined || since === round) {
      // Not a mismatch: proves nothing about the bytes, so the chunk stays;
      // reads verify it anyway, and the next round tries again. A transient
      // error (EMFILE …) neither starts nor clears suspicion.
      if (media) this.suspects.set(chunkId, { since: round, seen: round });
      else if (suspect) suspect.seen = round;
      this.o.logger.warn({ err, chunkId }, 'scrubber could not read a chunk; left in place');
      return 'unreadable';
    }
    // The same media error a round later, no good read between: a lasting
    // fault. Condemned, the chunk is reported and a good copy made elsewhere.
    this.suspects.delete(chunkId);
    const reason = `unreadable in scrub rounds ${since} and ${round}: ${DfsError.from(err).rawMessage}`;
    try {
      const taken = await this.store.condemn(chunkId, reason);
      this.o.logger.error({ chunkId, reason }, taken ? 'scrubber condemned an unreadable chunk; reported' : 'unreadable chunk gone before it could be condemned');
      return taken ? 'condemned' : 'vanished';
    } catch (condemnErr) {
      if (isStop(condemnErr, signal)) throw condemnErr;
      this.suspects.set(chunkId, { since, seen: round }); // tried again next round
      this.o.logger.error({ err: condemnErr, chunkId }, 'could not condemn an unreadable chunk; trying again next round');
      return 'unreadable';
    }
  }
}

/** The scrubber was told to stop, or its store is closing. */
function isStop(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || errorReason(err) === 'SHUTTING_DOWN';
}
