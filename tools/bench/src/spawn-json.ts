import { spawn } from 'node:child_process';

/**
 * Runs a Node script in a child process and resolves with the JSON object on
 * the last line of its stdout. Its stderr passes through. Rejects, naming
 * the script, when it exits non-zero or prints no JSON; a child that
 * outlives `timeoutMs` (default 30 minutes) is killed first (SIGKILL, by
 * its pid), as is one still running when this process exits.
 */
export async function spawnJson<T>(script: string, args: string[], options: { timeoutMs?: number; nodeArgs?: readonly string[] } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // The parent may die first: take the child along (SIGKILL by pid, once).
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const name = `${script.slice(script.lastIndexOf('/') + 1)} ${args.slice(0, 2).join(' ')}`;
    if (code !== 0) throw new Error(`${name} exited with ${signal ?? `code ${code}`}`);
    const last = out.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new Error(`${name} printed no JSON result (last line: ${JSON.stringify(last.slice(0, 200))})`);
    }
  } finally {
    clearTimeout(timer);
    process.off('exit', killChild);
  }
}
