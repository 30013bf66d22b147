import { checkPodTemplate } from './check-pod-template.js';
import { splitHostPort, type DeployContext } from './deploy-context.js';
import { selects, type Container, type KubernetesObject } from './kubernetes-object.js';

/**
 * Everything wrong with the Kubernetes manifests of one kustomization (as
 * kustomize would emit them), one sentence each: a Namespace holding
 * everything; the coordinator as the one Deployment, behind a Service on
 * the port it listens on; the datanodes as the one StatefulSet, with a
 * headless Service, an advertised address that is the pod's stable DNS name,
 * the coordinator Service as their coordinator, and a PodDisruptionBudget;
 * each pod template as checkPodTemplate says. With `etcdInside`, the etcd
 * that ETCD_ENDPOINTS names must be a Service of these manifests (the dev
 * overlay); otherwise it is external and only has to be set.
 */
export function checkKubernetes(objects: KubernetesObject[], context: DeployContext, where: string, options: { etcdInside?: boolean } = {}): string[] {
  const problems: string[] = [];
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  if (namespaces.length !== 1) problems.push(`${where}: expected one Namespace, found ${namespaces.length}`);
  const namespace = namespaces[0]?.metadata?.name;
  for (const o of objects) {
    if (o.kind !== 'Namespace' && o.metadata?.namespace !== namespace) problems.push(`${where}: ${o.kind} ${o.metadata?.name} is in namespace ${o.metadata?.namespace}, not ${namespace}`);
  }
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const statefulSets = objects.filter((o) => o.kind === 'StatefulSet' && runs(o, 'datanode'));
  if (deployments.length !== 1 || !runs(deployments[0]!, 'coordinator')) problems.push(`${where}: expected one Deployment, running the coordinator; found ${deployments.length}`);
  if (statefulSets.length !== 1) problems.push(`${where}: expected one StatefulSet running the datanode, found ${statefulSets.length}`);
  const services = objects.filter((o) => o.kind === 'Service');

  const coordinatorService = deployments[0] && runs(deployments[0], 'coordinator') ? coordinatorProblems(deployments[0], services, objects, context, where, problems) : undefined;
  const datanodes = statefulSets[0];
  if (!datanodes) return problems;
  const at = `${where} StatefulSet ${datanodes.metadata?.name}`;
  const { container, settings, problems: podProblems } = checkPodTemplate(datanodes, 'datanode', objects, context, at);
  problems.push(...podProblems);
  if (!settings || !container) return problems;

  const headless = services.find((s) => s.metadata?.name === datanodes.spec?.serviceName);
  if (!headless || headless.spec?.clusterIP !== 'None') problems.push(`${at}: serviceName ${datanodes.spec?.serviceName} is not a headless Service (clusterIP: None) of these manifests`);
  else problems.push(...servicePortProblems(headless, datanodes, container, settings.port, `${where} Service ${headless.metadata?.name}`));
  const stableName = `${datanodes.metadata?.name}-0.${datanodes.spec?.serviceName}.${namespace}.svc`;
  const advertised = splitHostPort(settings.advertiseAddress ?? '');
  if (!advertised || !`${advertised[0]}.`.startsWith(`${stableName}.`) || advertised[1] !== settings.port) {
    problems.push(`${at}: advertises ${settings.advertiseAddress ?? '(nothing)'} for pod 0; expected its stable DNS name ${stableName}:${settings.port} (from $(POD_NAME) and $(POD_NAMESPACE))`);
  }
  for (const target of settings.coordinators ?? []) {
    const [host = '', port] = splitHostPort(target) ?? [];
    const serviceName = host.split('.')[0];
    if (!coordinatorService || serviceName !== coordinatorService.name || port !== coordinatorService.port) {
      problems.push(`${at}: DATANODE_COORDINATORS names ${target}, not the coordinator Service (${coordinatorService ? `${coordinatorService.name}:${coordinatorService.port}` : 'none'})`);
    }
  }
  if ((settings.coordinators ?? []).length === 0) problems.push(`${at}: no DATANODE_COORDINATORS: the datanodes would never register`);
  const budget = objects.find((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec?.selector, datanodes.spec?.template?.metadata?.labels));
  if (!budget) problems.push(`${at}: no PodDisruptionBudget selects the datanodes`);
  else if (String(budget.spec?.maxUnavailable) !== '1') problems.push(`${where} PodDisruptionBudget ${budget.metadata?.name}: maxUnavailable should be 1 (one copy of a chunk down at a time)`);
  if (options.etcdInside) problems.push(...localEtcdProblems(deployments[0], services, objects, where));
  return problems;
}

/** Checks the coordinator Deployment and its Service; returns how datanodes reach it. */
function coordinatorProblems(deployment: KubernetesObject, services: KubernetesObject[], objects: KubernetesObject[], context: DeployContext, where: string, problems: string[]) {
  const at = `${where} Deployment ${deployment.metadata?.name}`;
  const { container, settings, problems: podProblems } = checkPodTemplate(deployment, 'coordinator', objects, context, at);
  problems.push(...podProblems);
  // Membership lives in the coordinator's memory: one replica, never two during an update.
  if ((deployment.spec?.replicas ?? 1) !== 1) problems.push(`${at}: replicas must be 1 (membership is held in memory)`);
  if (!settings || !container) return undefined;
  const service = services.find((s) => s.spec?.clusterIP !== 'None' && selects(s.spec?.selector, deployment.spec?.template?.metadata?.labels));
  if (!service) {
    problems.push(`${at}: no Service selects its pods`);
    return undefined;
  }
  problems.push(...servicePortProblems(service, deployment, container, settings.port, `${where} Service ${service.metadata?.name}`));
  return { name: service.metadata?.name, port: settings.port };
}

/** The Service must select the workload's pods and serve `port` on a targetPort that is the container's port. */
function servicePortProblems(service: KubernetesObject, workload: KubernetesObject, container: Container, port: number, where: string): string[] {
  const problems: string[] = [];
  if (!selects(service.spec?.selector, workload.spec?.template?.metadata?.labels)) problems.push(`${where}: its selector does not match the pods of ${workload.metadata?.name}`);
  const entry = service.spec?.ports?.find((p) => p.port === port);
  const target = entry?.targetPort ?? entry?.port;
  const targetNumber = typeof target === 'string' ? container.ports?.find((p) => p.name === target)?.containerPort : target;
  if (!entry || targetNumber !== port) problems.push(`${where}: should serve port ${port} with targetPort ${port} (or its name); has ${JSON.stringify(service.spec?.ports ?? [])}`);
  return problems;
}

/** ETCD_ENDPOINTS (through its ConfigMap) must name an etcd Service of these manifests, on its port. */
function localEtcdProblems(coordinator: KubernetesObject | undefined, services: KubernetesObject[], objects: KubernetesObject[], where: string): string[] {
  const env = coordinator?.spec?.template?.spec?.containers?.find((c) => c.name === 'coordinator')?.env ?? [];
  const ref = env.find((v) => v.name === 'ETCD_ENDPOINTS')?.valueFrom?.configMapKeyRef;
  const value = ref ? objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === ref.name)?.data?.[ref.key] : env.find((v) => v.name === 'ETCD_ENDPOINTS')?.value;
  const problems: string[] = [];
  for (const endpoint of (value ?? '').split(',').filter(Boolean)) {
    const [host = '', port] = splitHostPort(endpoint.replace(/^https?:\/\//, '')) ?? [];
    const service = services.find((s) => s.metadata?.name === host.split('.')[0]);
    if (!service?.spec?.ports?.some((p) => p.port === port)) problems.push(`${where}: ETCD_ENDPOINTS names ${endpoint}, which is no Service port of these manifests`);
  }
  if (!value) problems.push(`${where}: the coordinator gets no ETCD_ENDPOINTS`);
  return problems;
}

function runs(workload: KubernetesObject, app: string): boolean {
  return workload.spec?.template?.spec?.containers?.some((c) => c.name === app) ?? false;
}
