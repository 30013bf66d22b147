import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, DfsError, isDfsError } from '@dfs/proto';
import { z } from 'zod';
import { ConfigError, loadConfig, zDuration, zPort, zSize } from './index.js';

const schema = z.object({
  host: z.string().default('127.0.0.1'),
  port: zPort.default(7001),
  dataDir: z.string(),
  verbose: z.boolean().default(false),
  replication: z.int().min(1).max(5).default(3),
  mode: z.enum(['memory', 'embedded', 'etcd']).default('embedded'),
  peers: z.array(z.string()).default([]),
  storage: z
    .object({
      maxSize: zSize.default(1024),
      scrubInterval: zDuration.default(3_600_000),
      fsync: z.boolean().default(true),
    })
    .prefault({}),
});

const envMap = {
  DN_HOST: 'host',
  DN_PORT: 'port',
  DATA_DIR: 'dataDir',
  DN_VERBOSE: 'verbose',
  DN_REPLICATION: 'replication',
  DN_MODE: 'mode',
  DN_PEERS: 'peers',
  DN_MAX_SIZE: 'storage.maxSize',
  DN_SCRUB: 'storage.scrubInterval',
  DN_FSYNC: 'storage.fsync',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dfs-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function yamlFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies schema defaults, including those of nested sections', () => {
    expect(loadConfig(schema, { env: { DATA_DIR: '/data' }, envMap })).toEqual({
      host: '127.0.0.1',
      port: 7001,
      dataDir: '/data',
      verbose: false,
      replication: 3,
      mode: 'embedded',
      peers: [],
      storage: { maxSize: 1024, scrubInterval: 3_600_000, fsync: true },
    });
  });

  it('lets the YAML file override defaults and the environment override both', () => {
    const file = yamlFile('precedence.yaml', 'host: 10.0.0.1\nport: 8000\ndataDir: /from-file\nstorage:\n  maxSize: 64MiB\n');
    const config = loadConfig(schema, { env: { DN_PORT: '9000', DN_FSYNC: 'false' }, envMap, file });
    expect(config).toMatchObject({ host: '10.0.0.1', port: 9000, dataDir: '/from-file', replication: 3 });
    // An env var deep inside a section overrides only that key.
    expect(config.storage).toEqual({ maxSize: 64 * 1024 ** 2, scrubInterval: 3_600_000, fsync: false });
  });

  it('coerces environment strings to the types of the schema', () => {
    const config = loadConfig(schema, {
      env: {
        DATA_DIR: '/d',
        DN_PORT: ' 0 ',
        DN_VERBOSE: 'YES',
        DN_REPLICATION: '2',
        DN_MODE: 'etcd',
        DN_PEERS: 'a:1, b:2,c:3',
        DN_MAX_SIZE: '8MiB',
        DN_SCRUB: '90s',
        DN_FSYNC: '0',
      },
      envMap,
    });
    expect(config).toMatchObject({ port: 0, verbose: true, replication: 2, mode: 'etcd', peers: ['a:1', 'b:2', 'c:3'] });
    expect(config.storage).toEqual({ maxSize: 8 * 1024 ** 2, scrubInterval: 90_000, fsync: false });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(schema, { env: { DATA_DIR: '/d', DN_PORT: '', DN_HOST: '  ' }, envMap })).toMatchObject({
      host: '127.0.0.1',
      port: 7001,
    });
  });

  it('reads the file named by fileEnvVar, and prefers an explicit file', () => {
    const a = yamlFile('a.yaml', 'dataDir: /a\n');
    const b = yamlFile('b.yaml', 'dataDir: /b\n');
    expect(loadConfig(schema, { env: { DN_CONFIG: a }, envMap, fileEnvVar: 'DN_CONFIG' }).dataDir).toBe('/a');
    expect(loadConfig(schema, { env: { DN_CONFIG: a }, envMap, fileEnvVar: 'DN_CONFIG', file: b }).dataDir).toBe('/b');
    expect(loadConfig(schema, { env: { DATA_DIR: '/e' }, envMap, fileEnvVar: 'DN_CONFIG' }).dataDir).toBe('/e');
  });

  it('accepts an empty file and keys of a loose section', () => {
    expect(loadConfig(schema, { env: { DATA_DIR: '/d' }, envMap, file: yamlFile('empty.yaml', '# nothing\n') }).port).toBe(7001);
    const loose = z.object({ labels: z.looseObject({}) });
    expect(loadConfig(loose, { envMap: {}, file: yamlFile('loose.yaml', 'labels:\n  rack: r1\n') })).toEqual({ labels: { rack: 'r1' } });
  });

  it('reads process.env by default', () => {
    process.env['DFS_CONFIG_SPEC_DIR'] = '/from-process';
    try {
      expect(loadConfig(z.object({ dir: z.string() }), { envMap: { DFS_CONFIG_SPEC_DIR: 'dir' } })).toEqual({ dir: '/from-process' });
    } finally {
      delete process.env['DFS_CONFIG_SPEC_DIR'];
    }
  });
});

describe('loadConfig errors', () => {
  it('is a DfsError with code InvalidArgument and reason CONFIG', () => {
    let error: unknown;
    try {
      loadConfig(schema, { env: { DATA_DIR: '/d', DN_PORT: 'abc' }, envMap });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(DfsError);
    expect(isDfsError(error)).toBe(true);
    const configError = error as ConfigError;
    expect(configError.code).toBe(Code.InvalidArgument);
    expect(configError.reason).toBe('CONFIG');
    expect(configError.retryable).toBe(false);
    expect(configError.rawMessage).toBe('invalid configuration (1 problem):\n  DN_PORT="abc": expected an integer from 0 to 65535');
  });

  it('names the environment variable and what it expects, for every bad variable', () => {
    const problems = problemsOf(() =>
      loadConfig(schema, {
        env: {
          DATA_DIR: '/d',
          DN_PORT: '70000',
          DN_VERBOSE: 'maybe',
          DN_REPLICATION: '9',
          DN_MODE: 'disk',
          DN_MAX_SIZE: 'huge',
          DN_SCRUB: 'often',
        },
        envMap,
      }),
    );
    expect(problems).toEqual([
      'DN_PORT="70000": expected an integer from 0 to 65535',
      'DN_VERBOSE="maybe": expected a boolean (true/false, 1/0, yes/no, on/off)',
      'DN_REPLICATION="9": expected a number at most 5',
      'DN_MODE="disk": expected one of "memory", "embedded", "etcd"',
      expect.stringMatching(/^DN_MAX_SIZE="huge": expected a size/),
      expect.stringMatching(/^DN_SCRUB="often": expected a duration/),
    ]);
  });

  it('names the file, line and setting of a bad value in the YAML file', () => {
    const file = yamlFile('bad-values.yaml', 'dataDir: /d\nport: 99999\nstorage:\n  fsync: "yes"\n  maxSize: [1]\n');
    expect(problemsOf(() => loadConfig(schema, { env: {}, envMap, file }))).toEqual([
      `${file}:2: port=99999: expected an integer from 0 to 65535`,
      `${file}:5: storage.maxSize=[1]: expected a size in bytes such as 1048576, "512k", "64MiB" or "1.5GB"`,
      `${file}:4: storage.fsync="yes": expected a boolean (true/false, 1/0, yes/no, on/off)`,
    ]);
  });

  it('rejects unknown keys in the file, naming the key, its line and the known keys', () => {
    const file = yamlFile('unknown.yaml', 'dataDir: /d\nprot: 1\nstorage:\n  maxsize: 1k\n');
    expect(problemsOf(() => loadConfig(schema, { env: {}, envMap, file }))).toEqual([
      `${file}:2: unknown key "prot"; known keys here: host, port, dataDir, verbose, replication, mode, peers, storage`,
      `${file}:4: unknown key "storage.maxsize"; known keys here: maxSize, scrubInterval, fsync`,
    ]);
  });

  it('reports an unknown key once when the schema is strict too', () => {
    const strict = z.strictObject({ a: z.number().default(1) });
    const file = yamlFile('strict.yaml', 'a: 2\nb: 3\n');
    expect(problemsOf(() => loadConfig(strict, { envMap: {}, file }))).toEqual([`${file}:2: unknown key "b"; known keys here: a`]);
  });

  it('reports malformed YAML with file, line and column', () => {
    const file = yamlFile('malformed.yaml', 'dataDir: /d\nport: [1, 2\nhost: x\n');
    const problems = problemsOf(() => loadConfig(schema, { env: { DN_PORT: 'x' }, envMap, file }));
    expect(problems[0]).toMatch(new RegExp(`^${file}:\\d+:\\d+: malformed YAML: `));
    // Env problems are still listed; settings that may be in the broken file are not called missing.
    expect(problems).toContain('DN_PORT="x": expected an integer from 0 to 65535');
    expect(problems.some((p) => p.includes('dataDir'))).toBe(false);
  });

  it('reports a file that is not a mapping', () => {
    const file = yamlFile('list.yaml', '- a\n- b\n');
    expect(problemsOf(() => loadConfig(schema, { env: { DATA_DIR: '/d' }, envMap, file }))).toEqual([
      `${file}: expected a mapping of settings (key: value lines) at the top level`,
    ]);
  });

  it('reports a missing file, naming the variable that named it', () => {
    const file = join(dir, 'nope.yaml');
    expect(problemsOf(() => loadConfig(schema, { env: { DATA_DIR: '/d' }, envMap, file }))).toEqual([
      `${file}: cannot read the config file: no such file`,
    ]);
    expect(problemsOf(() => loadConfig(schema, { env: { DATA_DIR: '/d', DN_CONFIG: file }, envMap, fileEnvVar: 'DN_CONFIG' }))).toEqual([
      `${file} (from DN_CONFIG): cannot read the config file: no such file`,
    ]);
    expect(problemsOf(() => loadConfig(schema, { env: { DATA_DIR: '/d' }, envMap, file: dir }))[0]).toMatch(/EISDIR/);
  });

  it('says how to set a required setting that is missing', () => {
    expect(problemsOf(() => loadConfig(schema, { env: {}, envMap, fileEnvVar: 'DN_CONFIG' }))).toEqual([
      'dataDir is not set (expected a string): set DATA_DIR or "dataDir" in the YAML file named by DN_CONFIG',
    ]);
    expect(problemsOf(() => loadConfig(z.object({ a: z.string() }), { envMap: {} }))).toEqual(['a is not set (expected a string)']);
  });

  it('points into a list that came from one variable', () => {
    const ports = z.object({ ports: z.array(zPort) });
    expect(problemsOf(() => loadConfig(ports, { env: { PORTS: '1,x' }, envMap: { PORTS: 'ports' } }))).toEqual([
      'PORTS="1,x" (ports.1): expected an integer from 0 to 65535',
    ]);
  });

  it('reports an invalid schema default and whole-config refinements', () => {
    const badDefault = z.object({ n: z.number().min(10).prefault(1) });
    expect(problemsOf(() => loadConfig(badDefault, { envMap: {} }))).toEqual(['n=1 (default): expected a number at least 10']);
    const refined = z.object({ min: z.number(), max: z.number() }).refine((c) => c.min <= c.max, 'min must not exceed max');
    expect(problemsOf(() => loadConfig(refined, { env: { MIN: '5', MAX: '1' }, envMap: { MIN: 'min', MAX: 'max' } }))).toEqual([
      'min must not exceed max',
    ]);
  });

  it('throws a TypeError for an envMap path the schema does not have', () => {
    expect(() => loadConfig(schema, { env: {}, envMap: { X: 'storage.nope' } })).toThrow(TypeError);
    expect(() => loadConfig(schema, { env: {}, envMap: { X: 'storage.nope' } })).toThrow(/X to "storage.nope"/);
  });
});
