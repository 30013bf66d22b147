import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { joinRemote, trimRemote } from './remote-path.js';

/** One file to upload: a local path, or "-" for stdin. */
export interface UploadJob {
  local: string;
  remote: string;
}

export interface PlanUploadsOptions {
  recursive: boolean;
  /** Whether `remote` is an existing directory (the command asks the cluster). */
  isRemoteDirectory: (remote: string) => Promise<boolean>;
}

/**
 * What `dfs put <local...> <remote>` uploads, with cp's rules: into `remote`
 * when it is an existing directory, ends with "/", or several sources are
 * given; otherwise to `remote` itself. With -r a directory's files go below
 * the target, keeping their relative paths (empty directories are skipped:
 * DFS directories exist only through the files in them). Every local path is
 * checked before anything is uploaded.
 */
export async function planUploads(locals: readonly string[], remote: string, options: PlanUploadsOptions): Promise<UploadJob[]> {
  if (locals.includes('-') && locals.length > 1) throw CliError.usage('"-" (stdin) must be the only source');
  const intoDirectory = locals.length > 1 || (remote.length > 1 && remote.endsWith('/')) || (await options.isRemoteDirectory(trimRemote(remote)));
  const target = trimRemote(remote);
  if (locals[0] === '-') {
    if (intoDirectory) throw CliError.usage(`${remote} is a directory: name the file to write stdin to, e.g. ${joinRemote(target, 'stdin.bin')}`);
    return [{ local: '-', remote: target }];
  }
  const jobs: UploadJob[] = [];
  for (const local of locals) {
    const kind = await localKind(local);
    const destination = intoDirectory ? joinRemote(target, basename(resolve(local))) : target;
    if (kind === 'file') {
      jobs.push({ local, remote: destination });
    } else if (!options.recursive) {
      throw new CliError(`${local} is a directory: use -r to upload it and everything under it`, ExitCode.WrongKind);
    } else {
      for (const relative of await filesUnder(local)) jobs.push({ local: join(local, ...relative), remote: joinRemote(destination, relative.join('/')) });
    }
  }
  // Two sources for one file: which one is stored would depend on which
  // upload commits last (they run --parallel at a time). cp refuses too.
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const other = seen.get(job.remote);
    if (other !== undefined) throw CliError.usage(`${other} and ${job.local} would both be uploaded to ${job.remote}: upload them to different names`);
    seen.set(job.remote, job.local);
  }
  return jobs;
}

async function localKind(local: string): Promise<'file' | 'directory'> {
  const info = await stat(local).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new CliError(`${local}: no such local file or directory`, ExitCode.NotFound);
    throw err;
  });
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  throw neitherFileNorDirectory(local);
}

/** A FIFO, socket or device: refused (exit 5), given directly or found in a tree, since reading one may block or never end. */
function neitherFileNorDirectory(local: string): CliError {
  return new CliError(`${local} is neither a file nor a directory`, ExitCode.WrongKind);
}

/**
 * Regular files below `dir` (symlinks followed), as path components, sorted so
 * uploads run in a stable order. Anything else (a FIFO, socket, device) is refused.
 */
async function filesUnder(dir: string, prefix: string[] = []): Promise<string[][]> {
  const out: string[][] = [];
  const names = (await readdir(join(dir, ...prefix))).sort();
  for (const name of names) {
    const info = await stat(join(dir, ...prefix, name));
    if (info.isDirectory()) out.push(...(await filesUnder(dir, [...prefix, name])));
    else if (info.isFile()) out.push([...prefix, name]);
    // Refused as the same file given directly is, while planning (before anything is uploaded), rather than silently left out.
    else throw neitherFileNorDirectory(join(dir, ...prefix, name));
  }
  return out;
}
