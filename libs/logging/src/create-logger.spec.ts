import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, LOG_LEVELS } from './index.js';

/** A stream that keeps what is written, synchronously. */
function sink(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

const savedEnv = { LOG_LEVEL: process.env['LOG_LEVEL'], LOG_FORMAT: process.env['LOG_FORMAT'] };
afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});
beforeEach(() => {
  delete process.env['LOG_LEVEL'];
  delete process.env['LOG_FORMAT'];
});

describe('createLogger', () => {
  it('writes one JSON object per line with name, base fields, pid and hostname', () => {
    const out = sink();
    const logger = createLogger({ name: 'datanode', base: { nodeId: 'dn-1' }, destination: out.stream });
    logger.info({ chunkId: 'c1' }, 'chunk written');
    logger.child({ requestId: 'r9' }).warn('slow disk');
    const [first, second] = out.lines();
    expect(first).toMatchObject({ level: 30, name: 'datanode', nodeId: 'dn-1', chunkId: 'c1', msg: 'chunk written', pid: process.pid });
    expect(typeof first['hostname']).toBe('string');
    expect(typeof first['time']).toBe('number');
    expect(second).toMatchObject({ level: 40, name: 'datanode', nodeId: 'dn-1', requestId: 'r9', msg: 'slow disk' });
  });

  it('writes nothing below the level, which defaults to info', () => {
    const out = sink();
    const logger = createLogger({ name: 'x', destination: out.stream });
    logger.debug('hidden');
    logger.info('shown');
    expect(logger.level).toBe('info');
    expect(out.lines().map((l) => l['msg'])).toEqual(['shown']);

    const quiet = sink();
    const warnOnly = createLogger({ name: 'x', level: 'WARN', destination: quiet.stream });
    warnOnly.info('hidden');
    warnOnly.error('shown');
    expect(quiet.lines().map((l) => l['msg'])).toEqual(['shown']);
  });

  it('takes the level from LOG_LEVEL unless given', () => {
    process.env['LOG_LEVEL'] = 'debug';
    expect(createLogger({ name: 'x', destination: sink().stream }).level).toBe('debug');
    expect(createLogger({ name: 'x', level: 'error', destination: sink().stream }).level).toBe('error');
    process.env['LOG_LEVEL'] = 'silent';
    const out = sink();
    createLogger({ name: 'x', destination: out.stream }).fatal('nothing');
    expect(out.text()).toBe('');
  });

  it('rejects an unknown level, listing the valid ones', () => {
    expect(LOG_LEVELS).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
    expect(() => createLogger({ name: 'x', level: 'verbose', destination: sink().stream })).toThrow(
      new RangeError('invalid log level "verbose": expected one of fatal, error, warn, info, debug, trace, silent'),
    );
    process.env['LOG_LEVEL'] = 'loud';
    expect(() => createLogger({ name: 'x', destination: sink().stream })).toThrow(/^invalid LOG_LEVEL "loud": expected one of fatal/);
  });

  it('formats human-readable lines when pretty, by option or LOG_FORMAT', () => {
    const out = sink();
    createLogger({ name: 'cli', pretty: true, destination: out.stream }).info('hello there');
    expect(out.text()).toMatch(/INFO.*\(cli\): hello there/);
    expect(() => JSON.parse(out.text())).toThrow();

    process.env['LOG_FORMAT'] = 'pretty';
    const viaEnv = sink();
    createLogger({ name: 'cli', destination: viaEnv.stream }).info('hi');
    expect(viaEnv.text()).toMatch(/INFO.*: hi/);

    process.env['LOG_FORMAT'] = 'xml';
    expect(() => createLogger({ name: 'x', destination: sink().stream })).toThrow(/invalid LOG_FORMAT "xml": expected json or pretty/);
  });

  it('writes synchronously to a file descriptor, so nothing is lost on a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfs-logging-'));
    const file = join(dir, 'log.jsonl');
    const fd = openSync(file, 'w');
    try {
      createLogger({ name: 'datanode', destination: fd }).error({ err: new Error('disk on fire') }, 'crashing');
      // No flush, no tick: the line is already in the file.
      const line = JSON.parse(readFileSync(file, 'utf8'));
      expect(line).toMatchObject({ level: 50, name: 'datanode', msg: 'crashing', err: { message: 'disk on fire', type: 'Error' } });
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
