import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, stopAllProcesses } from './managed-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-managed-'));
});
afterEach(async () => {
  await stopAllProcesses();
  await rm(dir, { recursive: true, force: true });
});

async function script(body: string): Promise<string> {
  const file = join(dir, 'child.js');
  await writeFile(file, body);
  return file;
}

const readyScript = `
process.on('SIGTERM', () => { console.error(JSON.stringify({ msg: 'bye' })); process.exit(0); });
console.error('not json');
console.error(JSON.stringify({ msg: 'ready', port: 1234 }));
setInterval(() => {}, 1000);
`;

describe('ManagedProcess', () => {
  it('waits for the ready line, logs to its file and stops gracefully', async () => {
    const p = new ManagedProcess<number>({
      name: 'child',
      script: await script(readyScript),
      logFile: join(dir, 'child.log'),
      readyWhen: (l) => (l['msg'] === 'ready' ? l['port'] : undefined),
    });
    expect(await p.start()).toBe(1234);
    expect(p.running).toBe(true);
    expect(await p.stop()).toEqual({ code: 0, signal: null });
    const log = await readFile(join(dir, 'child.log'), 'utf8');
    expect(log).toContain('not json');
    expect(log).toContain('"bye"');
  });

  it('names the log file when the child dies before it is ready', async () => {
    const p = new ManagedProcess({
      name: 'crasher',
      script: await script(`console.error('config is broken'); process.exit(78);`),
      logFile: join(dir, 'crasher.log'),
      readyWhen: () => undefined,
    });
    await expect(p.start()).rejects.toThrow(/crasher exited \(code 78.*crasher\.log[\s\S]*config is broken/);
  });

  it('pauses, resumes and is killed by stopAllProcesses', async () => {
    const p = new ManagedProcess<number>({
      name: 'child',
      script: await script(readyScript),
      logFile: join(dir, 'child.log'),
      readyWhen: (l) => (l['msg'] === 'ready' ? 1 : undefined),
    });
    await p.start();
    await p.pause();
    expect((await readFile(`/proc/${p.pid}/stat`, 'utf8')).split(' ')[2]).toBe('T');
    await p.resume();
    expect((await readFile(`/proc/${p.pid}/stat`, 'utf8')).split(' ')[2]).not.toBe('T');
    await p.pause();
    await stopAllProcesses(); // kills it while stopped
    expect(p.running).toBe(false);
  });

  it('times out a child that never becomes ready, and kills it', async () => {
    const p = new ManagedProcess({
      name: 'silent',
      script: await script('setInterval(() => {}, 1000);'),
      logFile: join(dir, 'silent.log'),
      readyWhen: () => undefined,
      startTimeoutMs: 300,
    });
    await expect(p.start()).rejects.toThrow(/not ready after 300 ms/);
    expect(p.running).toBe(false);
  });
});
