import { Etcd3 } from 'etcd3';
import { existsSync } from 'node:fs';
import { startEtcd } from './start-etcd.js';

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
});
