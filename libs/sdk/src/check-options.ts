import { DfsError } from './dfs-error.js';

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

/** The `concurrency` option of a transfer: a whole number from 1 to 64, default 4. */
export function checkConcurrency(value: number | undefined): number {
  return checkSlots(value, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, 'concurrency');
}

/** A number of things at once (`concurrency`, `maxChunkWrites`): a whole number from 1 to `max`, `fallback` when undefined. */
export function checkSlots(value: number | undefined, fallback: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new DfsError('InvalidArgument', `${name} must be a whole number from 1 to ${max}, got ${value}`);
  return value;
}

/** A byte position or count: a whole number >= 0. */
export function checkByteOffset(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new DfsError('InvalidArgument', `${name} must be a whole number >= 0, got ${value}`);
  return value;
}

/** An optional whole-number option (chunkSize, replication): undefined, or an integer >= 1. */
export function checkCount(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) throw new DfsError('InvalidArgument', `${name} must be a whole number >= 1, got ${value}`);
  return value;
}
