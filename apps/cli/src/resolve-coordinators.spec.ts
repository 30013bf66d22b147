import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@dfs/config';
import { CliError } from './cli-error.js';
import { configFilePath, resolveCoordinators } from './resolve-coordinators.js';

describe('resolveCoordinators', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'dfs-cli-home-'));
    env = { HOME: home };
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function writeConfig(text: string, dir = join(home, '.config')): Promise<string> {
    await mkdir(join(dir, 'dfs'), { recursive: true });
    await writeFile(join(dir, 'dfs', 'config.yaml'), text);
    return join(dir, 'dfs', 'config.yaml');
  }

  it('falls back to the quickstart coordinator', () => {
    expect(resolveCoordinators(undefined, env)).toMatchObject({ addresses: ['127.0.0.1:8080'] });
  });

  it('reads ~/.config/dfs/config.yaml: one address or a list', async () => {
    const file = await writeConfig('coordinator: 10.0.0.5:8080\n');
    expect(resolveCoordinators(undefined, env)).toEqual({ addresses: ['10.0.0.5:8080'], source: file });
    await writeConfig('coordinator:\n  - 10.0.0.5:8080\n  - 10.0.0.6:8080\n');
    expect(resolveCoordinators(undefined, env).addresses).toEqual(['10.0.0.5:8080', '10.0.0.6:8080']);
  });

  it('prefers $XDG_CONFIG_HOME over ~/.config', async () => {
    await writeConfig('coordinator: home:1\n');
    const xdg = join(home, 'xdg');
    const file = await writeConfig('coordinator: xdg:2\n', xdg);
    expect(configFilePath({ ...env, XDG_CONFIG_HOME: xdg })).toBe(file);
    expect(resolveCoordinators(undefined, { ...env, XDG_CONFIG_HOME: xdg }).addresses).toEqual(['xdg:2']);
  });

  it('lets DFS_COORDINATOR beat the file, and --coordinator beat both', async () => {
    await writeConfig('coordinator: file:1\n');
    env['DFS_COORDINATOR'] = 'env:2, env:3';
    expect(resolveCoordinators(undefined, env)).toEqual({ addresses: ['env:2', 'env:3'], source: 'DFS_COORDINATOR' });
    expect(resolveCoordinators('flag:4,flag:5', env)).toEqual({ addresses: ['flag:4', 'flag:5'], source: '--coordinator' });
  });

  it('rejects a bad --coordinator as a usage error', () => {
    expect(() => resolveCoordinators('not-an-address', env)).toThrow(CliError);
    expect(() => resolveCoordinators('not-an-address', env)).toThrow('--coordinator "not-an-address": expected host:port');
  });

  it('names the file and line of a bad setting, and unknown keys', async () => {
    const file = await writeConfig('# dfs\ncoordinator: nope\n');
    expect(() => resolveCoordinators(undefined, env)).toThrow(ConfigError);
    expect(() => resolveCoordinators(undefined, env)).toThrow(`${file}:2`);
    await writeConfig('coordinatr: a:1\n');
    expect(() => resolveCoordinators(undefined, env)).toThrow('unknown key "coordinatr"');
  });

  it('names DFS_COORDINATOR when it is bad', () => {
    expect(() => resolveCoordinators(undefined, { ...env, DFS_COORDINATOR: 'a:1,b' })).toThrow('DFS_COORDINATOR="a:1,b"');
  });
});
