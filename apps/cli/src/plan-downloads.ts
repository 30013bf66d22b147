import { statSync } from 'node:fs';
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
  // stat("notes.txt/") fails ENOTDIR, so the trailing separator goes first; without one, bare is local itself.
  const bare = base.length > 1 ? base.replace(/[/\\]+$/, '') || base : base;
  const kind = localKind(bare);
  const intoDirectory = local === undefined || local.endsWith('/') || local.endsWith(sep) || kind === 'directory';
  // `get f notes.txt/` with notes.txt a file: refused here, not by mkdir's EEXIST once the download starts.
  if (intoDirectory && kind === 'other') throw new CliError(`${bare} is a file, not a directory: cannot download into it`, ExitCode.WrongKind);
  const target = intoDirectory ? join(base, remoteBaseName(info.path)) : base;
  // `get -r /d restored` with restored a file: its files would need restored/ to be a directory.
  if (info.isDirectory && options.recursive && localKind(target) === 'other') {
    throw new CliError(`${target} is a file, not a directory: cannot download ${info.path} into it`, ExitCode.WrongKind);
  }
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
  // A directory where a file is to land cannot be replaced, --overwrite or not; found after the whole
  // download it is an EISDIR from the final rename (and exit 2), so it is refused before anything is fetched.
  // One stat per job; a directory anywhere is reported before an existing file.
  const kinds = jobs.map((j) => localKind(j.local));
  const inTheWay = kinds.indexOf('directory');
  if (inTheWay >= 0) throw new CliError(`${jobs[inTheWay]!.local} is a directory: a file cannot replace it; remove it or name another target`, ExitCode.WrongKind);
  if (!options.overwrite) {
    const taken = kinds.findIndex((k) => k !== undefined);
    if (taken >= 0) throw new CliError(`${jobs[taken]!.local} exists: pass --overwrite to replace it`, ExitCode.AlreadyExists);
  }
  return jobs;
}

/** What is at a local path (symlinks followed): a directory, something else, or nothing (undefined). */
function localKind(path: string): 'directory' | 'other' | undefined {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}
