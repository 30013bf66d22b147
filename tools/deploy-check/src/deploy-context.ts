import { posix } from 'node:path';
import type { AppContracts, AppName, ServiceSettings } from './app-contracts.js';
import type { ImageFacts } from './parse-dockerfile.js';

/** What the compose and Kubernetes checks compare the deployment files with. */
export interface DeployContext {
  apps: AppContracts;
  /** The image each Dockerfile target builds: its ENV defaults, WORKDIR, … */
  images: Readonly<Record<AppName, ImageFacts>>;
  /** Whether a file exists, by path from the repository root (e.g. after the build). */
  exists(repoPath: string): boolean;
}

/** Set in the images and read by Node libraries, not by DFS itself. */
export const RUNTIME_ENV: ReadonlySet<string> = new Set(['NODE_ENV']);

/**
 * The health check scripts give up after 3 s (TIMEOUT_MS in
 * apps/<app>/src/healthcheck.ts); a node process needs about half a second to
 * start. A probe with a shorter timeout kills the script before it reports.
 */
export const MIN_PROBE_TIMEOUT_S = 4;

/**
 * After DATANODE_SHUTDOWN_GRACE, the datanode still closes its HTTP/2 sessions
 * (2 s at most) and its store; a supervisor must wait that much longer
 * before SIGKILL.
 */
export const SHUTDOWN_MARGIN_MS = 5_000;

/** The script each image runs as its main process. */
export const ENTRY_SCRIPT: Readonly<Record<AppName, string>> = {
  coordinator: 'apps/coordinator/dist/main.js',
  datanode: 'apps/datanode/dist/main.js',
  cli: 'apps/cli/bin/run.js',
};

/** The health check script the services' builds produce. */
export function healthcheckScript(app: 'coordinator' | 'datanode'): string {
  return `apps/${app}/dist/healthcheck.js`;
}

/** A path inside the image as a path in the repository: the image keeps the repository's layout under its app root. */
export function repoPathOf(image: ImageFacts, containerPath: string): string {
  return posix.relative(image.appRoot, posix.resolve(image.workdir, containerPath));
}

/** Problems with a command meant to run `script` with node inside `app`'s image; undefined or another command is one. */
export function nodeScriptProblems(
  where: string,
  command: readonly unknown[] | undefined,
  script: string,
  app: AppName,
  context: DeployContext,
  /** Node flags expected before the script (the services' SERVICE_NODE_ARGS). */
  nodeArgs: readonly string[] = [],
): string[] {
  const prefix = ['node', ...nodeArgs];
  const path = command?.[prefix.length];
  if (!command || command.length !== prefix.length + 1 || prefix.some((arg, i) => command[i] !== arg) || typeof path !== 'string') {
    return [`${where}: expected the exec form ${JSON.stringify([...prefix, `<path of ${script}>`])}, found ${JSON.stringify(command)}`];
  }
  const inRepo = repoPathOf(context.images[app], path);
  if (inRepo !== script) return [`${where}: runs ${path} (${inRepo} in the repository), expected ${script}`];
  return context.exists(inRepo) ? [] : [`${where}: ${inRepo} does not exist: the build does not produce it (or did not run)`];
}

/** Names among `names` that `app` never reads; `alsoAllowed` are set for other reasons (e.g. only to build other values). */
export function unknownEnvProblems(where: string, app: AppName, names: Iterable<string>, context: DeployContext, alsoAllowed: ReadonlySet<string> = new Set()): string[] {
  const reads = context.apps[app].env;
  return [...names]
    .filter((name) => !reads.has(name) && !RUNTIME_ENV.has(name) && !alsoAllowed.has(name))
    .map((name) => `${where}: sets ${name}, which the ${app} does not read (it reads ${[...reads].sort().join(', ')})`);
}

/** The settings `app` would start with, given its image's ENV and `env` on top; or the problems it would exit with. */
export function resolveSettings(where: string, app: AppName, env: Record<string, string>, context: DeployContext): { settings?: ServiceSettings; problems: string[] } {
  const load = context.apps[app].load;
  if (!load) return { problems: [] };
  try {
    return { settings: load({ ...context.images[app].env, ...env }), problems: [] };
  } catch (err) {
    const problems = (err as { problems?: readonly string[] }).problems ?? [String(err)];
    return { problems: problems.map((p) => `${where}: the ${app} would refuse to start: ${p}`) };
  }
}

/** "host:port" → [host, port]; undefined when it is not one. */
export function splitHostPort(address: string): [string, number] | undefined {
  const m = /^(.+):(\d{1,5})$/.exec(address);
  return m ? [m[1]!, Number(m[2])] : undefined;
}

/** Whether an image reference names a version: a tag other than `latest`, or a digest. */
export function isPinned(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest' && !tag.includes('$');
}
