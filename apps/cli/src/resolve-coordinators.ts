import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as DfsProto from '@dfs/proto';
import type * as Zod from 'zod';
import { CliError } from './cli-error.js';
import { dfsConfig } from './lazy-deps.js';

// zod and @dfs/proto are required where they are used, not imported, for the
// reason in lazy-deps.ts (the SDK loads @dfs/proto right after anyway).

/** The quickstart's coordinator (`npm start`, tools/test-cluster/src/local-cluster.ts). */
export const DEFAULT_COORDINATOR = '127.0.0.1:8080';

/** The coordinators to talk to, and where that setting came from (named in errors). */
export interface ResolvedCoordinators {
  addresses: string[];
  source: string;
}

/** The config file's schema: one address or a list, in YAML. */
function cliConfigSchema() {
  const { z } = require('zod') as typeof Zod;
  const { zHostPort } = dfsConfig();
  return z.object({
    coordinator: z.union([zHostPort, z.array(zHostPort).min(1, 'expected at least one host:port')]).optional(),
  });
}

/**
 * The config file: `$XDG_CONFIG_HOME/dfs/config.yaml`, or
 * `~/.config/dfs/config.yaml` ($HOME first, so tests can point it elsewhere).
 */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME']?.trim();
  const base = xdg ? xdg : join(env['HOME']?.trim() || homedir(), '.config');
  return join(base, 'dfs', 'config.yaml');
}

/**
 * Where the coordinator is, first match wins: `--coordinator` (host:port,
 * comma-separated for several), `DFS_COORDINATOR` (the same), the
 * `coordinator:` key of the config file (one address or a list), then
 * 127.0.0.1:8080. A bad flag is a usage error; a bad variable or file
 * throws ConfigError naming the variable, or the file and line.
 */
export function resolveCoordinators(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedCoordinators {
  if (flag !== undefined) {
    const addresses = parseAddressList(flag);
    if (!addresses) throw CliError.usage(`--coordinator ${JSON.stringify(flag)}: ${EXPECTED}`);
    return { addresses, source: '--coordinator' };
  }
  const variable = env['DFS_COORDINATOR'];
  if (variable !== undefined && variable.trim() !== '') {
    const addresses = parseAddressList(variable);
    if (!addresses) throw new (dfsConfig().ConfigError)([`DFS_COORDINATOR=${JSON.stringify(variable)}: ${EXPECTED}`]);
    return { addresses, source: 'DFS_COORDINATOR' };
  }
  const file = configFilePath(env);
  if (!existsSync(file)) return { addresses: [DEFAULT_COORDINATOR], source: `the default (no --coordinator, DFS_COORDINATOR or ${file})` };
  const { coordinator } = dfsConfig().loadConfig(cliConfigSchema(), { env: {}, envMap: {}, file });
  if (coordinator === undefined) return { addresses: [DEFAULT_COORDINATOR], source: `the default (${file} has no "coordinator:")` };
  return { addresses: typeof coordinator === 'string' ? [coordinator] : coordinator, source: file };
}

const EXPECTED = 'expected host:port, or several separated by commas';

/** "a:1, b:2" → ["a:1", "b:2"]; undefined when empty or any entry is not host:port. */
function parseAddressList(text: string): string[] | undefined {
  const addresses = text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  // The pattern zHostPort checks (z.string().regex), without loading zod; the SDK loads @dfs/proto anyway.
  const { HOST_PORT_PATTERN } = require('@dfs/proto') as typeof DfsProto;
  return addresses.length > 0 && addresses.every((a) => HOST_PORT_PATTERN.test(a)) ? addresses : undefined;
}
