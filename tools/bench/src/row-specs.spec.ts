import { FULL_PLAN, QUICK_PLAN } from './bench-options.js';
import { rowSpecs, sizeLabel } from './row-specs.js';

describe('rowSpecs', () => {
  it('has unique ids, and every limit names a row of the table', () => {
    const specs = rowSpecs({ metadata: 'embedded', plan: FULL_PLAN });
    const ids = specs.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of specs) if (s.limit) expect(ids).toContain(s.limit);
  });

  it("carries issue 7's targets", () => {
    const byId = new Map(rowSpecs({ metadata: 'embedded', plan: FULL_PLAN }).map((s) => [s.id, s]));
    expect(byId.get('large.upload')!.target).toEqual({ op: '>=', value: 0.55, on: 'ratio' });
    expect(byId.get('large.download')!.target).toEqual({ op: '>=', value: 0.35, on: 'ratio' });
    expect(byId.get('small.upload')!.target).toEqual({ op: '>=', value: 500, on: 'value' });
    expect(byId.get('small.ls-cli')!.target).toEqual({ op: '<', value: 100, on: 'value' });
    expect(byId.get('small.delete-ms')!.target).toEqual({ op: '<', value: 100, on: 'value' });
    expect(byId.get('large.upload-client-rss')!.target).toEqual({ op: '<', value: 200, on: 'value' });
    expect(byId.get('large.upload-datanode-rss')!.target).toEqual({ op: '<', value: 300, on: 'value' });
  });

  it('names sizes from the plan and says when the read was warm', () => {
    const quick = rowSpecs({ metadata: 'etcd', plan: QUICK_PLAN }, false);
    expect(quick.find((s) => s.id === 'large.upload')!.label).toContain('64 MiB');
    expect(quick.find((s) => s.id === 'limit.disk-read')!.label).toContain('WARM');
    expect(quick.find((s) => s.id === 'metadata.stat')!.group).toContain('etcd');
  });

  it.each([
    [2 ** 30, '1 GiB'],
    [64 * 2 ** 20, '64 MiB'],
    [65536, '64 KiB'],
    [1000, '1000 B'],
  ])('sizeLabel(%p) is %p', (bytes, label) => {
    expect(sizeLabel(bytes)).toBe(label);
  });
});
