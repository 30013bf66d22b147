import type { AppName, ServiceSettings } from './app-contracts.js';
import { MIN_PROBE_TIMEOUT_S, SHUTDOWN_MARGIN_MS, healthcheckScript, isPinned, nodeScriptProblems, resolveSettings, unknownEnvProblems, type DeployContext } from './deploy-context.js';
import { quantity, type Container, type KubernetesObject } from './kubernetes-object.js';

/** A datanode's peak RSS under 16 concurrent 64 MiB writes (npm run bench:datanode-rss). */
export const DATANODE_PEAK_RSS = 250 * 1024 ** 2;

export interface PodTemplateResult {
  /** The app's container in the template. */
  container?: Container;
  /** The settings the app would start with in that container. */
  settings?: ServiceSettings;
  problems: string[];
}

/**
 * Checks the pod template of the workload running `app` (its container is
 * named after the app): hardening (non-root, no privilege escalation,
 * read-only root, no capabilities, no service-link variables), a pinned
 * image, resources, h2c health probes running the built script with a
 * timeout the script fits in, variables the app reads and accepts, the
 * container port it listens on, the grace period its shutdown needs, and a
 * persistent volume at a datanode's DATA_DIR.
 */
export function checkPodTemplate(workload: KubernetesObject, app: AppName, objects: KubernetesObject[], context: DeployContext, where: string): PodTemplateResult {
  const pod = workload.spec?.template?.spec ?? {};
  const container = pod.containers?.find((c) => c.name === app);
  if (!container) return { problems: [`${where}: no container named ${app}`] };
  const problems: string[] = [];
  const security = { ...pod.securityContext, ...container.securityContext };
  if (security.runAsNonRoot !== true || security.runAsUser === 0) problems.push(`${where}: set runAsNonRoot: true (and a non-zero runAsUser)`);
  if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: set allowPrivilegeEscalation: false`);
  if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}: set readOnlyRootFilesystem: true (DFS writes only to DATA_DIR)`);
  if (!container.securityContext?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: drop ALL capabilities`);
  // With service links, a Service named "datanode" would set DATANODE_PORT=tcp://… in every pod.
  if (pod.enableServiceLinks !== false) problems.push(`${where}: set enableServiceLinks: false, or Services inject <NAME>_PORT variables the apps may read`);
  if (!isPinned(container.image ?? '')) problems.push(`${where}: image "${container.image ?? ''}" is not pinned to a version`);
  problems.push(...resourceProblems(container, app, where));
  for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    const probe = container[kind];
    if (!probe) {
      if (kind !== 'startupProbe') problems.push(`${where}: no ${kind}`);
      continue;
    }
    problems.push(...nodeScriptProblems(`${where} ${kind}`, probe.exec?.command, healthcheckScript(app as 'coordinator' | 'datanode'), app, context));
    if ((probe.timeoutSeconds ?? 1) < MIN_PROBE_TIMEOUT_S) {
      problems.push(`${where} ${kind}: timeoutSeconds ${probe.timeoutSeconds ?? '1 (default)'} is shorter than the health check's own ${MIN_PROBE_TIMEOUT_S} s`);
    }
  }

  const { env, expansionOnly, problems: envProblems } = resolveContainerEnv(container, workload, objects, where);
  problems.push(...envProblems, ...unknownEnvProblems(where, app, Object.keys(env), context, expansionOnly));
  const { settings, problems: refused } = resolveSettings(where, app, env, context);
  problems.push(...refused);
  if (!settings) return { container, problems };

  const ports = (container.ports ?? []).map((p) => p.containerPort);
  if (ports.length !== 1 || ports[0] !== settings.port) problems.push(`${where}: containerPort ${ports.join(', ') || '(none)'}, but the ${app} listens on ${settings.port}`);
  const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
  if (graceMs < (settings.shutdownGraceMs ?? 0) + SHUTDOWN_MARGIN_MS) {
    problems.push(`${where}: terminationGracePeriodSeconds ${graceMs / 1000} must exceed DATANODE_SHUTDOWN_GRACE (${settings.shutdownGraceMs} ms) by ${SHUTDOWN_MARGIN_MS / 1000} s, or running writes are killed`);
  }
  const claims = new Set((workload.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name));
  const dataMount = container.volumeMounts?.find((m) => m.mountPath === settings.dataDir);
  if ((app === 'datanode' || settings.metadata?.backend === 'embedded') && !(dataMount && claims.has(dataMount.name))) {
    problems.push(`${where}: DATA_DIR ${settings.dataDir} is not a volumeClaimTemplate's mount: its data would go with the pod`);
  }
  return { container, settings, problems };
}

function resourceProblems(container: Container, app: AppName, where: string): string[] {
  const { requests = {}, limits = {} } = container.resources ?? {};
  const problems: string[] = [];
  for (const [kind, values, name] of [['requests', requests, 'cpu'], ['requests', requests, 'memory'], ['limits', limits, 'memory']] as const) {
    if (quantity(values[name]) === undefined) problems.push(`${where}: no resources.${kind}.${name}`);
  }
  const request = quantity(requests['memory']) ?? 0;
  const limit = quantity(limits['memory']) ?? 0;
  if (limit < request) problems.push(`${where}: memory limit ${limits['memory']} is below the request ${requests['memory']}`);
  if (app === 'datanode' && request < DATANODE_PEAK_RSS) problems.push(`${where}: memory request ${requests['memory']} is below the measured peak of ${DATANODE_PEAK_RSS / 1024 ** 2} MiB`);
  return problems;
}

/**
 * The container's environment as the kubelet builds it: values, ConfigMap
 * keys (which must exist), downward-API fields (a StatefulSet's pod 0 for
 * metadata.name) and $(VAR) references to variables defined before.
 * Variables referenced that way only to build others are `expansionOnly`.
 */
export function resolveContainerEnv(container: Container, workload: KubernetesObject, objects: KubernetesObject[], where: string) {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const fields: Record<string, string> = {
    'metadata.name': workload.kind === 'StatefulSet' ? `${workload.metadata?.name}-0` : `${workload.metadata?.name}-7d9f8b6c5d-x2x4z`,
    'metadata.namespace': workload.metadata?.namespace ?? 'default',
    'status.podIP': '10.0.0.10',
  };
  if (container.envFrom?.length) problems.push(`${where}: envFrom hides which variables are set; name each one under env`);
  for (const v of container.env ?? []) {
    const ref = v.valueFrom?.configMapKeyRef;
    let value = v.value;
    if (v.valueFrom?.fieldRef) value = fields[v.valueFrom.fieldRef.fieldPath] ?? '';
    if (ref) {
      const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === ref.name);
      value = map?.data?.[ref.key];
      if (value === undefined) problems.push(`${where}: ${v.name} comes from ConfigMap ${ref.name} key ${ref.key}, which is not in these manifests`);
    }
    if (v.valueFrom?.secretKeyRef) value = 'secret';
    env[v.name] = (value ?? '').replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  const referenced = (container.env ?? []).flatMap((v) => [...(v.value ?? '').matchAll(/\$\((\w+)\)/g)].map((m) => m[1]!));
  return { env, expansionOnly: new Set(referenced), problems };
}
