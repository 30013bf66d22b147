// pino set up the same way in every DFS process: JSON lines on stderr.
export { createLogger, LOG_LEVELS, type CreateLoggerOptions, type Logger } from './create-logger.js';
export { stopOnSignals } from './stop-on-signals.js';
