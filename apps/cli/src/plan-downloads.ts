import { existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { FileInfo } from '@dfs/sdk';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { relativeRemote, remoteBaseName, trimRemote } from './remote-path.js';

/** One file to download: to a local path, or "-" for stdout. */
export interface DownloadJob {
  remote: string;
  local: string;
  size: number;
}

export interface PlanDownloadsOptions {
  recursive: boolean;
  overwrite: boolean;
  stat: (remote: string) => Promise<FileInfo>;
  list: (remote: string) => AsyncIterable<FileInfo>;
}

/**
 * What `dfs get <remote> [local]` downloads, with cp's rules: into `local`
 * when it is an existing directory or ends with a separator (the current
 * directory when omitted), otherwise to `local` itself; with -r a remote
 * directory's files land below the target with their relative paths. Local
 * files that exist are refused up front, unless `overwrite`, so a download
 * never stops half-way on the third of ten files.
 */
export async function planDownloads(remote: string, local: string | undefined, options: PlanDownloadsOptions): Promise<DownloadJob[]> {
  const info = await options.stat(trimRemote(remote));
  if (local === '-') {
    if (info.isDirectory) throw new CliError(`${info.path} is a directory: "-" (stdout) takes one file`, ExitCode.WrongKind);
    return [{ remote: info.path, local: '-', size: info.size }];
  }
  const base = local ?? '.';
  const intoDirectory = local === undefined || local.endsWith('/') || local.endsWith(sep) || isLocalDirectory(local);
  const target = intoDirectory ? join(base, remoteBaseName(info.path)) : base;
  const jobs: DownloadJob[] = [];
  if (!info.isDirectory) {
    jobs.push({ remote: info.path, local: target, size: info.size });
  } else if (!options.recursive) {
    throw new CliError(`${info.path} is a directory: use -r to download it and everything under it`, ExitCode.WrongKind);
  } else {
    for await (const entry of options.list(info.path)) {
      if (entry.isDirectory) continue;
      const parts = relativeRemote(entry.path, info.path).split('/');
      // The coordinator never stores such names; refusing them keeps a download inside its target whatever it is sent.
      if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new CliError(`refusing to write ${entry.path} outside ${target}`);
      jobs.push({ remote: entry.path, local: join(target, ...parts), size: entry.size });
    }
  }
  if (!options.overwrite) {
    const taken = jobs.find((j) => existsSync(j.local));
    if (taken) throw new CliError(`${taken.local} exists: pass --overwrite to replace it`, ExitCode.AlreadyExists);
  }
  return jobs;
}

function isLocalDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
