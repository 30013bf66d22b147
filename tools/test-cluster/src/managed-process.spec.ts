import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.js';
import { ManagedProcess, addressInUse, stopAllProcesses } from './managed-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-managed-'));
});
afterEach(async () => {
  await stopAllProcesses();
  await rm(dir, { recursive: true, force: true });
});

async function script(body: string, name = 'child.js'): Promise<string> {
  const file = join(dir, name);
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

  it('has all the output in the log once stop() resolves, also what arrives after the exit was reported', async () => {
    // The exit can be reported while the pipes still hold the last output.
    // Made certain here: on SIGTERM the child starts a process that shares
    // its stdout and stderr and exits; that process writes (more than the
    // pipes hold) only once the test saw the exit, then ends.
    const trigger = join(dir, 'trigger');
    const pidFile = join(dir, 'writer.pid');
    const writer = `
const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const giveUp = Date.now() + 60000; // never left behind, whatever the test does
const poll = setInterval(() => {
  if (Date.now() > giveUp) process.exit(1);
  if (!fs.existsSync(${JSON.stringify(trigger)})) return;
  clearInterval(poll);
  for (let i = 0; i < 2000; i++) {
    fs.writeSync(1, 'out ' + i + ' ' + '#'.repeat(100) + '\\n');
    fs.writeSync(2, JSON.stringify({ msg: 'err', i, pad: '~'.repeat(100) }) + '\\n');
  }
  fs.writeSync(2, JSON.stringify({ msg: 'last' }) + '\\n');
}, 5);
`;
    const p = new ManagedProcess<number>({
      name: 'chatty',
      script: await script(`
process.on('SIGTERM', () => {
  require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(writer)}], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.exit(0);
});
console.error(JSON.stringify({ msg: 'ready' }));
setInterval(() => {}, 1000);
`),
      logFile: join(dir, 'chatty.log'),
      readyWhen: (l) => (l['msg'] === 'ready' ? 1 : undefined),
    });
    await p.start();
    try {
      const stopped = p.stop();
      expect(await eventually(async () => !p.running)).toBe(true);
      await writeFile(trigger, '');
      expect(await stopped).toEqual({ code: 0, signal: null });
    } finally {
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // done and gone
        }
      }
    }
    // Counted by characters: stdout goes to the log in chunks, which stderr lines may split.
    const log = await readFile(join(dir, 'chatty.log'), 'utf8');
    expect([log.match(/#/g)?.length, log.match(/~/g)?.length]).toEqual([2000 * 100, 2000 * 100]);
    expect(log).toContain('{"msg":"last"}');
  });

  it('runs a child whose log file cannot be written, and says why in tail()', async () => {
    const p = new ManagedProcess<number>({
      name: 'no-log',
      script: await script(readyScript),
      // A directory: opening it for appending fails (EISDIR) after the child started.
      logFile: dir,
      readyWhen: (l) => (l['msg'] === 'ready' ? 1 : undefined),
    });
    expect(await p.start()).toBe(1);
    expect(await p.stop()).toEqual({ code: 0, signal: null });
    expect(await p.tail()).toMatch(/writing the log failed: EISDIR/);
  });

  it('starts again when a start failed because its address was in use, up to retryStart.attempts', async () => {
    // Fails with Node's EADDRINUSE message on its first two starts (counted in a file), then is ready.
    const starts = join(dir, 'starts');
    const body = (failures: number) => `
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(starts)}, 'x');
if (fs.readFileSync(${JSON.stringify(starts)}, 'utf8').length <= ${failures}) {
  console.error('Error: listen EADDRINUSE: address already in use 127.0.0.1:1234');
  process.exit(1);
}
console.error(JSON.stringify({ msg: 'ready' }));
setInterval(() => {}, 1000);
`;
    const options = (file: string) => ({
      name: 'busy',
      script: file,
      logFile: join(dir, 'busy.log'),
      readyWhen: (l: Record<string, unknown>) => (l['msg'] === 'ready' ? 1 : undefined),
      retryStart: { when: addressInUse, attempts: 3, delayMs: 10 },
    });
    const p = new ManagedProcess<number>(options(await script(body(2), 'busy.js')));
    expect(await p.start()).toBe(1);
    expect(await readFile(starts, 'utf8')).toBe('xxx');
    await p.stop();

    await rm(starts);
    const never = new ManagedProcess<number>(options(await script(body(3), 'never.js')));
    await expect(never.start()).rejects.toThrow(/busy exited \(code 1.*EADDRINUSE/s);
    expect(await readFile(starts, 'utf8')).toBe('xxx');
  });

  it('does not start again after a failure its retryStart does not name', async () => {
    const starts = join(dir, 'starts');
    const p = new ManagedProcess({
      name: 'broken',
      script: await script(`require('node:fs').appendFileSync(${JSON.stringify(starts)}, 'x'); console.error('config is broken'); process.exit(78);`),
      logFile: join(dir, 'broken.log'),
      readyWhen: () => undefined,
      retryStart: { when: addressInUse, attempts: 3, delayMs: 10 },
    });
    await expect(p.start()).rejects.toThrow(/broken exited \(code 78/);
    expect(await readFile(starts, 'utf8')).toBe('x');
  });
});
