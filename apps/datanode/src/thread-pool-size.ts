/**
 * Threads in libuv's pool for the datanode process, unless UV_THREADPOOL_SIZE
 * says otherwise. Every file call of the chunk store runs there, and an fsync
 * holds its thread for milliseconds: with the default 4, a few writes'
 * fsyncs leave the opens, writes and renames of all others waiting. Imported
 * first by main.ts, as it only takes effect before the pool's first use.
 */
const DATANODE_THREAD_POOL_SIZE = 16;

process.env['UV_THREADPOOL_SIZE'] ??= String(DATANODE_THREAD_POOL_SIZE);
