import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The apps the deployment files run. */
export type AppName = 'coordinator' | 'datanode' | 'cli';

/** The settings a service's deployment must agree with, as the app resolves them at start. */
export interface ServiceSettings {
  host: string;
  port: number;
  dataDir: string;
  advertiseAddress?: string;
  coordinators?: string[];
  zone?: string;
  shutdownGraceMs?: number;
  metadata?: { backend: string; etcdEndpoints: string[] };
  files?: { defaultReplication: number };
}

/** What an app reads from its environment, and how it resolves it. */
export interface AppContract {
  /** Every environment variable the app reads. */
  env: ReadonlySet<string>;
  /** The app's own config loader (services only): throws the app's ConfigError for anything it would refuse at start. */
  load?: (env: Record<string, string>) => ServiceSettings;
}

export type AppContracts = Readonly<Record<AppName, AppContract>>;

interface ConfigModule {
  envMap: Readonly<Record<string, string>>;
  load: (env: NodeJS.ProcessEnv) => ServiceSettings;
}

/**
 * Read besides the env maps: the YAML file named by loadConfig's fileEnvVar,
 * and @dfs/logging's output format. app-contracts.spec checks that the built
 * code still reads each one.
 */
export const EXTRA_SERVICE_ENV: Readonly<Record<'coordinator' | 'datanode', readonly string[]>> = {
  coordinator: ['COORDINATOR_CONFIG', 'LOG_FORMAT'],
  datanode: ['DATANODE_CONFIG', 'LOG_FORMAT'],
};

/**
 * The contracts of the apps in the workspace at `root`. The services' env maps
 * and config loaders come from their built code (apps/<app>/dist, what the
 * images run): tools may not import apps (module boundaries), so they are
 * loaded by path, as @dfs/test-cluster starts apps/<app>/dist/main.js. The
 * CLI has no env map; its variables are the `env['…']` it looks up in its sources.
 */
export function loadAppContracts(root: string): AppContracts {
  const loadBuilt = createRequire(join(root, 'package.json'));
  const service = (app: 'coordinator' | 'datanode', { envMap, load }: ConfigModule): AppContract => ({
    env: new Set([...Object.keys(envMap), ...EXTRA_SERVICE_ENV[app]]),
    load: (env) => load(env),
  });
  const coordinator = loadBuilt(builtPath(root, 'coordinator', 'coordinator-config.js'));
  const datanode = loadBuilt(builtPath(root, 'datanode', 'datanode-config.js'));
  return {
    coordinator: service('coordinator', { envMap: coordinator.COORDINATOR_ENV, load: coordinator.loadCoordinatorConfig }),
    datanode: service('datanode', { envMap: datanode.DATANODE_ENV, load: datanode.loadDatanodeConfig }),
    cli: { env: envLookupsIn(join(root, 'apps/cli/src')) },
  };
}

function builtPath(root: string, app: string, file: string): string {
  return join(root, 'apps', app, 'dist', file);
}

/** Names looked up as env['NAME'] or env.NAME in the non-test sources under `dir`. */
export function envLookupsIn(dir: string): Set<string> {
  const names = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.startsWith('test/'));
  for (const file of files) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/\benv(?:\[['"]([A-Z][A-Z0-9_]*)['"]\]|\.([A-Z][A-Z0-9_]*)\b)/g)) {
      names.add(m[1] ?? m[2]!);
    }
  }
  return names;
}
