import { posix } from 'node:path';
import { parseDuration } from '@dfs/config';
import type { AppName, ServiceSettings } from './app-contracts.js';
import { SHUTDOWN_MARGIN_MS, healthcheckScript, isPinned, nodeScriptProblems, resolveSettings, splitHostPort, unknownEnvProblems, type DeployContext } from './deploy-context.js';

/** The parts of a compose service the checks read (compose allows more). */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target?: number; published?: number | string })[];
  expose?: (string | number)[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
  stop_grace_period?: string;
  profiles?: string[];
}

export interface ComposeFile {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** How many datanodes the compose cluster runs (the e2e suite's shape). */
export const COMPOSE_DATANODES = 6;

const ETCD_IMAGE = /^quay\.io\/coreos\/etcd:v3\.5\.\d+$/;

interface AppService {
  name: string;
  app: AppName;
  service: ComposeService;
  env: Record<string, string>;
  settings?: ServiceSettings;
}

/**
 * Everything wrong with a compose file (parsed with YAML merge keys), one
 * sentence each. See the README's "What CI checks" for the list.
 * `file` is the compose file's path from the repository root.
 */
export function checkCompose(compose: ComposeFile, context: DeployContext, file = 'deploy/docker-compose.yml'): string[] {
  const problems: string[] = [];
  const services = Object.entries(compose.services ?? {});
  const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
  const etcd = services.filter(([, s]) => ETCD_IMAGE.test(interpolate(s.image ?? '')));
  if (etcd.length !== 1) problems.push(`${file}: expected one etcd service (image quay.io/coreos/etcd:v3.5.x), found ${etcd.length}`);

  const apps: AppService[] = [];
  for (const [name, service] of services) {
    const where = `${file} service ${name}`;
    problems.push(...commonProblems(where, service, compose));
    const app = appOf(service);
    if (!app) continue;
    const env = environmentOf(service);
    problems.push(...buildProblems(where, service, app, file, context), ...unknownEnvProblems(where, app, Object.keys(env), context));
    const { settings, problems: refused } = resolveSettings(where, app, env, context);
    problems.push(...refused);
    apps.push({ name, app, service, env, settings });
  }
  const coordinators = apps.filter((a) => a.app === 'coordinator');
  const datanodes = apps.filter((a) => a.app === 'datanode');
  if (coordinators.length !== 1) problems.push(`${file}: expected one coordinator service (build target coordinator), found ${coordinators.length}`);
  if (datanodes.length !== COMPOSE_DATANODES) problems.push(`${file}: expected ${COMPOSE_DATANODES} datanode services (build target datanode), found ${datanodes.length}`);

  for (const a of [...coordinators, ...datanodes]) problems.push(...serviceProblems(a, declaredVolumes, context, `${file} service ${a.name}`));
  for (const c of coordinators) problems.push(...etcdEndpointProblems(c, etcd[0], `${file} service ${c.name}`));
  for (const d of datanodes) problems.push(...datanodeProblems(d, coordinators, `${file} service ${d.name}`));
  problems.push(...spreadProblems(datanodes, coordinators[0]?.settings, file));
  if (etcd[0]) problems.push(...etcdProblems(etcd[0][1], declaredVolumes, `${file} service ${etcd[0][0]}`));
  return problems;
}

/** What every service needs: a pinned image, and unless it is an on-demand tool (profiles), a restart policy, a health check, and ordering by health. */
function commonProblems(where: string, service: ComposeService, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const image = interpolate(service.image ?? '');
  if (!isPinned(image)) problems.push(`${where}: image "${image}" is not pinned to a version (a tag other than latest)`);
  for (const [dependency, condition] of dependencies(service)) {
    if (!compose.services?.[dependency]) problems.push(`${where}: depends on ${dependency}, which is not a service`);
    if (condition !== 'service_healthy') problems.push(`${where}: depends on ${dependency} without condition: service_healthy, so it may start before ${dependency} serves`);
  }
  if (service.profiles?.length) return problems;
  if (!['always', 'unless-stopped', 'on-failure'].includes(service.restart ?? '')) problems.push(`${where}: no restart policy (restart: unless-stopped)`);
  if (!service.healthcheck?.test || service.healthcheck.disable) problems.push(`${where}: no health check, so \`docker compose up --wait\` cannot tell when it serves`);
  return problems;
}

function buildProblems(where: string, service: ComposeService, app: AppName, file: string, context: DeployContext): string[] {
  const build = typeof service.build === 'object' ? service.build : {};
  const dockerfile = posix.join(posix.dirname(file), build.context ?? '.', build.dockerfile ?? 'Dockerfile');
  return context.exists(dockerfile) ? [] : [`${where}: builds from ${dockerfile}, which does not exist`];
}

function serviceProblems(a: AppService, declaredVolumes: ReadonlySet<string>, context: DeployContext, where: string): string[] {
  const problems: string[] = [];
  const test = a.service.healthcheck?.test;
  const command = Array.isArray(test) && test[0] === 'CMD' ? test.slice(1) : undefined;
  problems.push(...nodeScriptProblems(`${where} healthcheck`, command, healthcheckScript(a.app as 'coordinator' | 'datanode'), a.app, context));
  if (!a.settings) return problems;
  const { port, dataDir } = a.settings;
  const targets = [...(a.service.ports ?? []).map(containerPort), ...(a.service.expose ?? []).map((p) => Number(String(p).split('/')[0]))];
  if (!targets.includes(port)) problems.push(`${where}: listens on ${port} but neither publishes nor exposes it`);
  for (const target of targets) if (target !== port) problems.push(`${where}: publishes or exposes container port ${target}, but listens on ${port}`);
  const needsVolume = a.app === 'datanode' || a.settings.metadata?.backend === 'embedded';
  const volume = mounts(a.service).find((m) => m.target === dataDir);
  if (needsVolume && !volume) problems.push(`${where}: no volume at DATA_DIR ${dataDir}: its data would go with the container`);
  if (volume && !declaredVolumes.has(volume.source)) problems.push(`${where}: the volume at ${dataDir} is "${volume.source}", not a named volume declared under volumes:`);
  return problems;
}

function datanodeProblems(d: AppService, coordinators: AppService[], where: string): string[] {
  if (!d.settings) return [];
  const problems: string[] = [];
  const { advertiseAddress, port, coordinators: targets = [], shutdownGraceMs = 0 } = d.settings;
  const advertised = advertiseAddress ? splitHostPort(advertiseAddress) : undefined;
  if (!advertised) problems.push(`${where}: no DATANODE_ADVERTISE_ADDRESS: peers would be told to dial ${d.settings.host}:${port}`);
  else if (advertised[0] !== d.name || advertised[1] !== port) problems.push(`${where}: advertises ${advertiseAddress}, but it is reached as ${d.name}:${port}`);
  if (targets.length === 0) problems.push(`${where}: no DATANODE_COORDINATORS: it would never register`);
  for (const target of targets) {
    const [host, targetPort] = splitHostPort(target) ?? [];
    const coordinator = coordinators.find((c) => c.name === host);
    if (!coordinator) problems.push(`${where}: DATANODE_COORDINATORS names ${target}, which is not a coordinator service`);
    else if (coordinator.settings && coordinator.settings.port !== targetPort) problems.push(`${where}: DATANODE_COORDINATORS names ${target}, but ${host} listens on ${coordinator.settings.port}`);
  }
  const grace = parseDuration(d.service.stop_grace_period ?? '10s') ?? 0;
  if (grace < shutdownGraceMs + SHUTDOWN_MARGIN_MS) {
    problems.push(`${where}: stop_grace_period ${d.service.stop_grace_period ?? '10s (default)'} must exceed DATANODE_SHUTDOWN_GRACE (${shutdownGraceMs} ms) by ${SHUTDOWN_MARGIN_MS} ms, or running writes are killed`);
  }
  return problems;
}

/** Distinct volumes, addresses and host ports per datanode, and zones enough for every replica of a chunk to get its own. */
function spreadProblems(datanodes: AppService[], coordinator: ServiceSettings | undefined, file: string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const d of datanodes) {
    const keys = [
      ...mounts(d.service).filter((m) => m.source !== '').map((m) => `volume ${m.source}`),
      ...(d.settings?.advertiseAddress ? [`address ${d.settings.advertiseAddress}`] : []),
      ...(d.service.ports ?? []).map(hostPort).filter((p) => p !== undefined).map((p) => `host port ${p}`),
    ];
    for (const key of keys) {
      const other = seen.get(key);
      if (other) problems.push(`${file}: ${other} and ${d.name} share ${key}`);
      seen.set(key, d.name);
    }
  }
  const perZone = new Map<string, number>();
  for (const d of datanodes) perZone.set(d.settings?.zone ?? '', (perZone.get(d.settings?.zone ?? '') ?? 0) + 1);
  const replication = coordinator?.files?.defaultReplication ?? 3;
  const counts = [...perZone.values()];
  if (perZone.has('') || perZone.size < replication || Math.max(...counts) - Math.min(...counts) > 1) {
    problems.push(`${file}: datanode zones ${JSON.stringify(Object.fromEntries(perZone))} should be set on every datanode, at least ${replication} (the default replication), and even`);
  }
  return problems;
}

function etcdEndpointProblems(c: AppService, etcd: [string, ComposeService] | undefined, where: string): string[] {
  if (c.settings?.metadata?.backend !== 'etcd' || !etcd) return [];
  const advertised = flagValues(etcd[1].command, 'advertise-client-urls');
  return c.settings.metadata.etcdEndpoints
    .map((e) => (e.includes('://') ? e : `http://${e}`))
    .filter((e) => !advertised.includes(e))
    .map((e) => `${where}: ETCD_ENDPOINTS names ${e}, but ${etcd[0]} advertises ${advertised.join(', ') || 'nothing'}`);
}

function etcdProblems(etcd: ComposeService, declaredVolumes: ReadonlySet<string>, where: string): string[] {
  const dataDir = flagValues(etcd.command, 'data-dir')[0];
  const volume = mounts(etcd).find((m) => dataDir !== undefined && (dataDir === m.target || dataDir.startsWith(`${m.target}/`)));
  return volume && declaredVolumes.has(volume.source) ? [] : [`${where}: its --data-dir (${dataDir ?? 'unset'}) is not on a named volume`];
}

function appOf(service: ComposeService): AppName | undefined {
  const target = typeof service.build === 'object' ? service.build.target : undefined;
  return target === 'coordinator' || target === 'datanode' || target === 'cli' ? target : undefined;
}

/** The environment as the container gets it: the map or the list form, values interpolated. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)] as const)
    : Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)] as const);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

/** Compose's variable interpolation with nothing set: ${VAR:-default} → default, ${VAR} → "", $$ → $. */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (whole, _name: string | undefined, fallback: string | undefined) => (whole === '$$' ? '$' : (fallback ?? '')));
}

function dependencies(service: ComposeService): [string, string | undefined][] {
  const d = service.depends_on ?? {};
  return Array.isArray(d) ? d.map((name) => [name, undefined]) : Object.entries(d).map(([name, v]) => [name, v?.condition]);
}

function mounts(service: ComposeService): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.type === 'volume' || v.type === undefined ? (v.source ?? '') : `${v.type}:${v.source}`, target: v.target ?? '' };
    const [source = '', target = ''] = v.split(':');
    // A one-part mount is an anonymous volume; a path is a bind mount.
    return target === '' ? { source: '', target: source } : { source, target };
  });
}

type PortSpec = NonNullable<ComposeService['ports']>[number];

function containerPort(p: PortSpec): number {
  return typeof p === 'object' ? Number(p.target) : Number(String(p).split('/')[0]!.split(':').pop());
}

/** The host side of a published port ("127.0.0.1:9101"), undefined when Docker picks one. */
function hostPort(p: PortSpec): string | undefined {
  if (typeof p === 'object') return p.published === undefined ? undefined : String(p.published);
  const parts = String(p).split('/')[0]!.split(':');
  return parts.length > 1 ? parts.slice(0, -1).join(':') : undefined;
}

function flagValues(command: ComposeService['command'], flag: string): string[] {
  const words = Array.isArray(command) ? command : (command ?? '').split(/\s+/);
  return words.flatMap((w) => (w.startsWith(`--${flag}=`) ? w.slice(flag.length + 3).split(',') : []));
}
