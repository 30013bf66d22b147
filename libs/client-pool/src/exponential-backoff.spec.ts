import { Code, DfsError } from '@dfs/proto';
import { exponentialBackoff, isRetryable, noRetry } from './index.js';

const unavailable = new DfsError(Code.Unavailable, 'down');

function delays(policy: ReturnType<typeof exponentialBackoff>, attempts: number): (number | undefined)[] {
  return Array.from({ length: attempts }, (_, i) => policy.nextDelayMs(unavailable, i + 1));
}

describe('exponentialBackoff', () => {
  it('doubles from 100 ms with full jitter and gives up after 5 attempts by default', () => {
    expect(delays(exponentialBackoff({ random: () => 0.5 }), 6)).toEqual([50, 100, 200, 400, undefined, undefined]);
    expect(delays(exponentialBackoff({ random: () => 0 }), 2)).toEqual([0, 0]);
  });

  it('caps the delay at maxMs', () => {
    expect(delays(exponentialBackoff({ baseMs: 1000, maxMs: 2500, maxAttempts: 6, jitter: 'none' }), 6)).toEqual([
      1000,
      2000,
      2500,
      2500,
      2500,
      undefined,
    ]);
  });

  it('only retries retryable errors', () => {
    const policy = exponentialBackoff({ jitter: 'none' });
    expect(policy.nextDelayMs(new DfsError(Code.ResourceExhausted, 'busy'), 1)).toBe(100);
    expect(policy.nextDelayMs(new DfsError(Code.DeadlineExceeded, 'slow'), 1)).toBe(100);
    expect(policy.nextDelayMs(new DfsError(Code.NotFound, 'gone'), 1)).toBeUndefined();
    expect(policy.nextDelayMs(new DfsError(Code.Internal, 'bug', { retryable: true }), 1)).toBe(100);
  });

  it('rejects nonsense options', () => {
    expect(() => exponentialBackoff({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => exponentialBackoff({ baseMs: -1 })).toThrow(RangeError);
  });
});

describe('noRetry and isRetryable', () => {
  it('noRetry never waits', () => {
    expect(noRetry.nextDelayMs(unavailable, 1)).toBeUndefined();
  });

  it('isRetryable follows the error marking', () => {
    expect(isRetryable(unavailable)).toBe(true);
    expect(isRetryable(new DfsError(Code.InvalidArgument, 'bad'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable('string')).toBe(false);
  });
});
