// The parts of Kubernetes objects the checks read (the API has far more).

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}

export interface Probe {
  exec?: { command?: string[] };
  httpGet?: unknown;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  fsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
}

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: unknown[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  containers?: Container[];
  securityContext?: SecurityContext;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    serviceName?: string;
    /** A Service's label map, or a workload's / budget's `{ matchLabels }`. */
    selector?: Record<string, unknown>;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec };
    volumeClaimTemplates?: { metadata?: { name?: string } }[];
    clusterIP?: string;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    maxUnavailable?: number | string;
    minAvailable?: number | string;
  };
}

/** The labels a selector requires: a Service's plain map, or `matchLabels`. */
export function selectorLabels(selector: Record<string, unknown> | undefined): Record<string, string> {
  const labels = selector?.['matchLabels'] ?? selector ?? {};
  return labels as Record<string, string>;
}

/** Whether every label `selector` requires is on `labels`, and it requires at least one. */
export function selects(selector: Record<string, unknown> | undefined, labels: Record<string, string> | undefined): boolean {
  const required = Object.entries(selectorLabels(selector));
  return required.length > 0 && required.every(([k, v]) => labels?.[k] === v);
}

/** Kubernetes quantities (memory "320Mi", cpu "500m" or 2) as numbers of bytes or cores. */
export function quantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(value));
  if (!m) return undefined;
  const unit: Record<string, number> = { m: 1e-3, k: 1e3, Ki: 1024, M: 1e6, Mi: 1024 ** 2, G: 1e9, Gi: 1024 ** 3, T: 1e12, Ti: 1024 ** 4 };
  return Number(m[1]) * (m[2] ? unit[m[2]]! : 1);
}
