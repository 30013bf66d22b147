// Connect clients per endpoint, and the one place DFS retries and fails over.
export {
  createClientPool,
  type ClientPool,
  type ClientPoolInit,
  type ClientPoolOptions,
  type PoolCallOptions,
} from './client-pool.js';
export { isRetryable, noRetry, type RetryPolicy } from './retry-policy.js';
export { exponentialBackoff, type ExponentialBackoffOptions } from './exponential-backoff.js';
export { DEFAULT_HTTP2_WINDOWS, HTTP2_SERVER_OPTIONS, tuneHttp2Server, type Http2Windows } from './tune-http2-server.js';
export { serveHttp2, type Http2Listener } from './serve-http2.js';
