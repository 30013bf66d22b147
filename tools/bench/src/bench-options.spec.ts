import { CASES, FULL_PLAN, QUICK_PLAN, parseBenchOptions } from './bench-options.js';

describe('parseBenchOptions', () => {
  it('defaults to a full embedded run of every case, three times', () => {
    const o = parseBenchOptions([], '/out');
    expect(o).toMatchObject({ metadata: 'embedded', runs: 3, quick: false, cases: [...CASES], outDir: '/out', profileDir: undefined });
    expect(o.plan).toEqual(FULL_PLAN);
    expect(o.plan.largeBytes).toBe(2 ** 30);
    expect(o.plan.coordinatorFiles).toBe(1_000_000);
  });

  it('--quick runs once with the small plan unless --runs says otherwise', () => {
    expect(parseBenchOptions(['--quick'])).toMatchObject({ quick: true, runs: 1, plan: QUICK_PLAN });
    expect(parseBenchOptions(['--quick', '--runs', '2']).runs).toBe(2);
  });

  it('takes etcd, a case list (kept in run order), a file count and directories', () => {
    const o = parseBenchOptions(['--metadata', 'etcd', '--cases', 'metadata,limits', '--coordinator-files', '5000', '--out', 'r', '--profile', 'p']);
    expect(o).toMatchObject({ metadata: 'etcd', cases: ['limits', 'metadata'], outDir: 'r', profileDir: 'p' });
    expect(o.plan.coordinatorFiles).toBe(5000);
    // The shared plans are not changed by an override.
    expect(FULL_PLAN.coordinatorFiles).toBe(1_000_000);
  });

  it.each([
    [['--metadata', 'memory'], /--metadata must be embedded or etcd/],
    [['--runs', '0'], /--runs must be a whole number >= 1/],
    [['--runs', '1.5'], /--runs must be a whole number/],
    [['--cases', 'limits,warp'], /unknown case "warp"/],
    [['--coordinator-files', 'many'], /--coordinator-files must be a whole number/],
    [['--fast'], /Unknown option '--fast'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });

  it('shows the usage with every error', () => {
    expect(() => parseBenchOptions(['--runs', 'x'])).toThrow(/usage: node tools\/bench\/dist\/bench-run.js/);
  });
});
