import { checkCompose, type ComposeFile, type ComposeService } from './check-compose.js';
import { createDeployContext, readCompose, readDockerfile } from './load-deploy-files.js';

// Each check can fail: break one thing in a copy of the real compose file and
// the checker names it (the real file passes, deploy-files.spec).
const context = createDeployContext(readDockerfile());
const original = readCompose();

function problemsAfter(mutate: (compose: ComposeFile, service: (name: string) => ComposeService) => void): string[] {
  const compose = structuredClone(original);
  mutate(compose, (name) => compose.services![name]!);
  return checkCompose(compose, context);
}

/** The map form every app service here uses; undefined for etcd. */
const env = (s: ComposeService) => s.environment as Record<string, string>;

describe('checkCompose', () => {
  it.each<[string, Parameters<typeof problemsAfter>[0], RegExp]>([
    ['an unknown variable', (_, s) => (env(s('datanode-3'))['DATANODE_PROT'] = '9103'), /datanode-3: sets DATANODE_PROT, which the datanode does not read/],
    ['a value the app refuses', (_, s) => (env(s('coordinator'))['DFS_DEFAULT_REPLICATION'] = 'three'), /coordinator: the coordinator would refuse to start: DFS_DEFAULT_REPLICATION="three"/],
    ['a published port that is not the listen port', (_, s) => (s('datanode-2').ports = ['127.0.0.1:9102:9100']), /datanode-2: publishes or exposes container port 9100, but listens on 9102/],
    ['a port neither published nor exposed', (_, s) => delete s('coordinator').ports, /coordinator: listens on 8080 but neither publishes nor exposes it/],
    ['an advertised port that is not the listen port', (_, s) => (env(s('datanode-1'))['DATANODE_ADVERTISE_ADDRESS'] = 'datanode-1:9100'), /datanode-1: advertises datanode-1:9100, but it is reached as datanode-1:9101/],
    ['an advertised host that is not the service', (_, s) => (env(s('datanode-1'))['DATANODE_ADVERTISE_ADDRESS'] = 'localhost:9101'), /advertises localhost:9101, but it is reached as datanode-1:9101/],
    ['two datanodes on one volume', (_, s) => (s('datanode-2').volumes = ['datanode-1:/var/lib/dfs/datanode']), /datanode-1 and datanode-2 share volume datanode-1/],
    ['no volume at DATA_DIR', (_, s) => (env(s('datanode-4'))['DATA_DIR'] = '/data'), /datanode-4: no volume at DATA_DIR \/data/],
    ['a bind mount instead of a named volume', (_, s) => (s('datanode-5').volumes = ['./dn5:/var/lib/dfs/datanode']), /datanode-5: the volume at \/var\/lib\/dfs\/datanode is "\.\/dn5", not a named volume/],
    ['no health check', (_, s) => delete s('coordinator').healthcheck, /coordinator: no health check/],
    ['a health check of another script', (_, s) => (s('datanode-6').healthcheck = { test: ['CMD', 'node', '/app/apps/datanode/dist/main.js'] }), /datanode-6 healthcheck: runs \/app\/apps\/datanode\/dist\/main\.js .* expected apps\/datanode\/dist\/healthcheck\.js/],
    ['a shell health check', (_, s) => (s('coordinator').healthcheck = { test: 'node /app/apps/coordinator/dist/healthcheck.js' }), /coordinator healthcheck: expected the exec form/],
    ['ordering without health', (_, s) => (s('datanode-1').depends_on = ['coordinator']), /datanode-1: depends on coordinator without condition: service_healthy/],
    ['a stop grace within the shutdown grace', (_, s) => (s('datanode-3').stop_grace_period = '20s'), /datanode-3: stop_grace_period 20s must exceed DATANODE_SHUTDOWN_GRACE \(20000 ms\)/],
    ['an image on latest', (_, s) => (s('etcd').image = 'quay.io/coreos/etcd:latest'), /expected one etcd service .* found 0[\s\S]*etcd: image "quay.io\/coreos\/etcd:latest" is not pinned/],
    ['an unpinned app image', (_, s) => (s('coordinator').image = 'dfs/coordinator'), /coordinator: image "dfs\/coordinator" is not pinned/],
    ['etcd endpoints that etcd does not serve', (_, s) => (env(s('coordinator'))['ETCD_ENDPOINTS'] = 'http://etcd:2380'), /coordinator: ETCD_ENDPOINTS names http:\/\/etcd:2380, but etcd advertises http:\/\/etcd:2379/],
    ['a coordinator address that is not the coordinator', (_, s) => (env(s('datanode-2'))['DATANODE_COORDINATORS'] = 'coordinator:9090'), /datanode-2: DATANODE_COORDINATORS names coordinator:9090, but coordinator listens on 8080/],
    ['five datanodes', (c) => delete c.services!['datanode-6'], /expected 6 datanode services \(build target datanode\), found 5/],
    ['every datanode in one zone', (c) => Object.values(c.services!).forEach((s) => env(s)?.['DATANODE_ZONE'] && (env(s)['DATANODE_ZONE'] = 'a')), /datanode zones \{"a":6\} should be set on every datanode, at least 3/],
    ['no restart policy', (_, s) => delete s('datanode-4').restart, /datanode-4: no restart policy/],
    ['etcd data off its volume', (_, s) => (s('etcd').command = ['/usr/local/bin/etcd', '--data-dir=/tmp/etcd']), /etcd: its --data-dir \(\/tmp\/etcd\) is not on a named volume/],
    ['a build from a missing Dockerfile', (_, s) => (s('datanode-1').build = { context: '..', dockerfile: 'deploy/Dockerfile', target: 'datanode' }), /datanode-1: builds from deploy\/Dockerfile, which does not exist/],
    ['the CLI told a variable it does not read', (_, s) => (env(s('cli'))['DFS_COORDINATORS'] = 'coordinator:8080'), /cli: sets DFS_COORDINATORS, which the cli does not read/],
  ])('names %s', (_, mutate, expected) => {
    expect(problemsAfter(mutate).join('\n')).toMatch(expected);
  });

  it('follows the compose file, not a fixed layout: a seventh datanode is checked like the others', () => {
    const problems = problemsAfter((c, s) => {
      c.services!['datanode-7'] = { ...structuredClone(s('datanode-1')), volumes: ['datanode-7:/var/lib/dfs/datanode'] };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/expected 6 datanode services .* found 7/),
        expect.stringMatching(/datanode-7: advertises datanode-1:9101, but it is reached as datanode-7:9101/),
        expect.stringMatching(/datanode-1 and datanode-7 share host port 127\.0\.0\.1:9101/),
        expect.stringMatching(/datanode-7: the volume at .* is "datanode-7", not a named volume declared/),
      ]),
    );
  });
});
