import { checkKubernetes } from './check-kubernetes.js';
import type { Container, KubernetesObject } from './kubernetes-object.js';
import { DEPLOY_FILES, createDeployContext, readDockerfile, readKustomization } from './load-deploy-files.js';

// Each check can fail: break one thing in a copy of the real manifests and the
// checker names it (the real manifests pass, deploy-files.spec).
const context = createDeployContext(readDockerfile());
const base = readKustomization(DEPLOY_FILES.kubernetes);
const dev = readKustomization(DEPLOY_FILES.kubernetesDev);

interface Parts {
  objects: KubernetesObject[];
  get(kind: string, name: string): KubernetesObject;
  container(app: 'coordinator' | 'datanode'): Container;
  env(app: 'coordinator' | 'datanode', name: string): { value?: string };
}

function problemsAfter(mutate: (parts: Parts) => void, from = base, options = {}): string[] {
  const objects = structuredClone(from);
  const get = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name)!;
  const container = (app: 'coordinator' | 'datanode') =>
    get(app === 'coordinator' ? 'Deployment' : 'StatefulSet', `dfs-${app}`).spec!.template!.spec!.containers!.find((c) => c.name === app)!;
  const env = (app: 'coordinator' | 'datanode', name: string) => container(app).env!.find((v) => v.name === name)!;
  mutate({ objects, get, container, env });
  return checkKubernetes(objects, context, 'k8s', options);
}

describe('checkKubernetes', () => {
  it.each<[string, (parts: Parts) => void, RegExp]>([
    ['an unknown variable', ({ container }) => container('datanode').env!.push({ name: 'DATANODE_PROT', value: '9100' }), /StatefulSet dfs-datanode: sets DATANODE_PROT, which the datanode does not read/],
    ['a downward-API variable nothing uses', ({ container }) => container('datanode').env!.push({ name: 'NODE_NAME', value: 'x' }), /sets NODE_NAME, which the datanode does not read/],
    ['a value the app refuses', ({ env }) => (env('datanode', 'DATANODE_SHUTDOWN_GRACE').value = 'soon'), /dfs-datanode: the datanode would refuse to start: DATANODE_SHUTDOWN_GRACE="soon"/],
    ['an advertised address that is not the pod DNS name', ({ env }) => (env('datanode', 'DATANODE_ADVERTISE_ADDRESS').value = 'dfs-datanode.$(POD_NAMESPACE).svc:9100'), /advertises dfs-datanode\.dfs\.svc:9100 for pod 0; expected its stable DNS name dfs-datanode-0\.dfs-datanode\.dfs\.svc:9100/],
    ['an advertised port that is not the listen port', ({ env }) => (env('datanode', 'DATANODE_PORT').value = '9200'), /containerPort 9100, but the datanode listens on 9200[\s\S]*advertises .*:9100 for pod 0; expected .*:9200/],
    ['a Service port that is not the listen port', ({ get }) => (get('Service', 'dfs-coordinator').spec!.ports![0]!.port = 80), /Service dfs-coordinator: should serve port 8080/],
    ['a Service that selects nothing', ({ get }) => (get('Service', 'dfs-coordinator').spec!.selector = { app: 'other' }), /Deployment dfs-coordinator: no Service selects its pods/],
    ['a non-headless datanode Service', ({ get }) => delete get('Service', 'dfs-datanode').spec!.clusterIP, /serviceName dfs-datanode is not a headless Service/],
    ['a missing probe', ({ container }) => delete container('coordinator').readinessProbe, /Deployment dfs-coordinator: no readinessProbe/],
    ['a probe timeout the script does not fit in', ({ container }) => delete container('datanode').livenessProbe!.timeoutSeconds, /livenessProbe: timeoutSeconds 1 \(default\) is shorter than the health check's own 4 s/],
    ['a probe of a path the build does not produce', ({ container }) => (container('datanode').readinessProbe!.exec!.command = ['node', '/app/apps/datanode/dist/health.js']), /readinessProbe: runs \/app\/apps\/datanode\/dist\/health\.js .* expected apps\/datanode\/dist\/healthcheck\.js/],
    ['a root pod', ({ get }) => delete get('Deployment', 'dfs-coordinator').spec!.template!.spec!.securityContext!.runAsNonRoot, /Deployment dfs-coordinator: set runAsNonRoot: true/],
    ['a writable root filesystem', ({ container }) => (container('datanode').securityContext!.readOnlyRootFilesystem = false), /set readOnlyRootFilesystem: true/],
    ['service links left on', ({ get }) => delete get('StatefulSet', 'dfs-datanode').spec!.template!.spec!.enableServiceLinks, /set enableServiceLinks: false/],
    ['a grace period within the shutdown grace', ({ get }) => (get('StatefulSet', 'dfs-datanode').spec!.template!.spec!.terminationGracePeriodSeconds = 20), /terminationGracePeriodSeconds 20 must exceed DATANODE_SHUTDOWN_GRACE \(20000 ms\)/],
    ['memory below the measured peak', ({ container }) => (container('datanode').resources!.requests!['memory'] = '128Mi'), /memory request 128Mi is below the measured peak of 250 MiB/],
    ['no memory limit', ({ container }) => delete container('coordinator').resources!.limits!['memory'], /Deployment dfs-coordinator: no resources\.limits\.memory/],
    ['DATA_DIR off the claim', ({ container }) => (container('datanode').volumeMounts![0]!.mountPath = '/data'), /DATA_DIR \/var\/lib\/dfs\/datanode is not a volumeClaimTemplate's mount/],
    ['a ConfigMap key that is not there', ({ get }) => delete get('ConfigMap', 'dfs-etcd').data!['ETCD_ENDPOINTS'], /ETCD_ENDPOINTS comes from ConfigMap dfs-etcd key ETCD_ENDPOINTS, which is not in these manifests[\s\S]*refuse to start: .*ETCD_ENDPOINTS/],
    ['a coordinator address that is not the Service', ({ env }) => (env('datanode', 'DATANODE_COORDINATORS').value = 'coordinator:8080'), /DATANODE_COORDINATORS names coordinator:8080, not the coordinator Service \(dfs-coordinator:8080\)/],
    ['no disruption budget', ({ objects }) => objects.splice(objects.findIndex((o) => o.kind === 'PodDisruptionBudget'), 1), /no PodDisruptionBudget selects the datanodes/],
    ['a second coordinator', ({ get }) => (get('Deployment', 'dfs-coordinator').spec!.replicas = 2), /replicas must be 1/],
    ['an image on latest', ({ container }) => (container('datanode').image = 'dfs/datanode:latest'), /image "dfs\/datanode:latest" is not pinned/],
    ['an object outside the namespace', ({ get }) => (get('Service', 'dfs-datanode').metadata!.namespace = 'default'), /Service dfs-datanode is in namespace default, not dfs/],
    ['no StatefulSet', ({ objects }) => objects.splice(objects.findIndex((o) => o.kind === 'StatefulSet'), 1), /expected one StatefulSet running the datanode, found 0/],
  ])('names %s', (_, mutate, expected) => {
    expect(problemsAfter(mutate).join('\n')).toMatch(expected);
  });

  it('holds the dev overlay to its own etcd', () => {
    const problems = problemsAfter(({ get }) => (get('ConfigMap', 'dfs-etcd').data!['ETCD_ENDPOINTS'] = 'http://etcd.infra:2379'), dev, { etcdInside: true });
    expect(problems).toEqual([expect.stringMatching(/ETCD_ENDPOINTS names http:\/\/etcd\.infra:2379, which is no Service port of these manifests/)]);
  });
});
