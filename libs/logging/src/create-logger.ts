import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import pino from 'pino';
import pinoPretty from 'pino-pretty';

/** A pino logger; children (`logger.child({ chunkId })`) carry per-request fields. */
export type Logger = pino.Logger;

/** Every level `level` and LOG_LEVEL accept, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS: readonly string[] = [
  ...Object.entries(pino.levels.values)
    .sort(([, a], [, b]) => b - a)
    .map(([label]) => label),
  'silent',
];

/** How a DFS process logs. */
export interface CreateLoggerOptions {
  /** The component, e.g. `datanode`; every line carries it as `name`. */
  name: string;
  /** Lowest level written, case-insensitive. Default: `process.env.LOG_LEVEL`, else `info`. */
  level?: string;
  /** Fields on every line, e.g. `{ nodeId }`, added to `pid` and `hostname`. Default: none. */
  base?: Record<string, unknown>;
  /**
   * Human-readable lines (pino-pretty) instead of JSON. Default: true when
   * `LOG_FORMAT=pretty`, or when the destination is a terminal and
   * `LOG_FORMAT` is not `json`.
   */
  pretty?: boolean;
  /** A file descriptor or stream to write to. Default: 2 (stderr). */
  destination?: number | NodeJS.WritableStream;
}

/**
 * Creates the logger of a DFS process: one JSON object per line on stderr,
 * so stdout stays free for command output (the CLI) and logs never mix into
 * it. Writes to a file descriptor are synchronous: a line logged just before
 * a crash or `process.exit()` is on disk, not in a buffer that dies with the
 * process, which for a storage service matters more than the throughput an
 * async destination would buy. Pretty output is formatted in-process (no
 * transport worker thread) for the same reason.
 *
 * @throws RangeError for a level or LOG_FORMAT it does not know, listing the valid ones.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = resolveLevel(options.level);
  const destination = options.destination ?? 2;
  const pretty = options.pretty ?? prettyByDefault(destination);
  const stream = pretty
    ? pinoPretty({ destination, sync: true, colorize: isTerminal(destination), ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
    : typeof destination === 'number'
      ? pino.destination({ dest: destination, sync: true })
      : destination;
  return pino(
    {
      name: options.name,
      level,
      base: { pid: process.pid, hostname: hostname(), ...options.base },
    },
    stream,
  );
}

function resolveLevel(explicit: string | undefined): string {
  const fromEnv = explicit === undefined ? nonEmpty(process.env['LOG_LEVEL']) : undefined;
  const level = (explicit ?? fromEnv ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    const origin = fromEnv === undefined ? 'log level' : 'LOG_LEVEL';
    throw new RangeError(`invalid ${origin} "${explicit ?? fromEnv}": expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

function prettyByDefault(destination: number | NodeJS.WritableStream): boolean {
  const format = nonEmpty(process.env['LOG_FORMAT'])?.trim().toLowerCase();
  if (format !== undefined && format !== 'json' && format !== 'pretty') {
    throw new RangeError(`invalid LOG_FORMAT "${process.env['LOG_FORMAT']}": expected json or pretty`);
  }
  return format === 'pretty' || (format === undefined && isTerminal(destination));
}

function isTerminal(destination: number | NodeJS.WritableStream): boolean {
  return typeof destination === 'number' ? isatty(destination) : (destination as { isTTY?: boolean }).isTTY === true;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
