import { Etcd3 } from 'etcd3';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stopAllProcesses } from './managed-process.js';
import { startEtcd } from './start-etcd.js';

// startEtcd itself waits up to 20 s for a cold etcd on a loaded machine.
jest.setTimeout(60_000);

// An etcd a failed assertion left running is killed here.
afterAll(stopAllProcesses);

describe('startEtcd', () => {
  it('starts a usable etcd on free ports and removes its data directory on stop', async () => {
    const etcd = await startEtcd();
    try {
      expect(etcd.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new Etcd3({ hosts: etcd.endpoint });
      try {
        await client.put('k').value('v');
        expect(await client.get('k').string()).toBe('v');
      } finally {
        client.close();
      }
    } finally {
      await etcd.stop();
    }
    expect(etcd.process.running).toBe(false);
    expect(existsSync(etcd.dataDir)).toBe(false);
  });

  it('says how to install etcd when it is not on PATH', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await expect(startEtcd()).rejects.toThrow(/apt-get install etcd-server/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('starts again on fresh ports when etcd finds a port taken', async () => {
    // A stand-in etcd first on PATH: its first start fails with etcd's bind
    // error (another process took a port after freePorts() let it go), the
    // second serves; each start's arguments are recorded.
    const bin = await mkdtemp(join(tmpdir(), 'dfs-fake-etcd-'));
    const calls = join(bin, 'calls');
    await writeFile(
      join(bin, 'etcd'),
      `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(process.argv.slice(2)) + '\\n');
if (fs.readFileSync(${JSON.stringify(calls)}, 'utf8').trim().split('\\n').length === 1) {
  console.error(JSON.stringify({ level: 'fatal', msg: 'discovery failed', error: 'listen tcp 127.0.0.1:1: bind: address already in use' }));
  process.exit(1);
}
console.error(JSON.stringify({ level: 'info', msg: 'serving client traffic insecurely; this is strongly discouraged!' }));
setInterval(() => {}, 1000);
`,
    );
    await chmod(join(bin, 'etcd'), 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}${delimiter}${path}`;
    try {
      const etcd = await startEtcd();
      await etcd.stop();
      const starts = (await readFile(calls, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as string[]);
      expect(starts).toHaveLength(2);
      expect(starts[1]).toContain(`--listen-client-urls=${etcd.endpoint}`);
      expect(existsSync(etcd.dataDir)).toBe(false);
    } finally {
      process.env['PATH'] = path;
      await rm(bin, { recursive: true, force: true });
    }
  });
});
