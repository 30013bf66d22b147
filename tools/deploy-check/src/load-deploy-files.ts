import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadAppContracts } from './app-contracts.js';
import type { ComposeFile } from './check-compose.js';
import { DOCKER_TARGETS } from './check-dockerfile.js';
import type { DeployContext } from './deploy-context.js';
import type { KubernetesObject } from './kubernetes-object.js';
import { imageFacts, parseDockerfile, type Dockerfile } from './parse-dockerfile.js';

/** The repository this tool lives in. */
export const REPO_ROOT = join(__dirname, '../../..');

/** Where the deployment files are, from the repository root. */
export const DEPLOY_FILES = {
  dockerfile: 'deploy/docker/Dockerfile',
  compose: 'deploy/docker-compose.yml',
  kubernetes: 'deploy/k8s',
  kubernetesDev: 'deploy/k8s/dev',
} as const;

export function readDockerfile(root = REPO_ROOT): Dockerfile {
  return parseDockerfile(readFileSync(join(root, DEPLOY_FILES.dockerfile), 'utf8'));
}

/** The compose file as Docker Compose reads it: YAML merge keys (`<<: *anchor`) resolved. */
export function readCompose(root = REPO_ROOT): ComposeFile {
  return parse(readFileSync(join(root, DEPLOY_FILES.compose), 'utf8'), { merge: true, prettyErrors: true }) as ComposeFile;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/**
 * The objects `kubectl apply -k <dir>` would create, for the parts of
 * kustomize these manifests use: resources (files, and directories with
 * their own kustomization), `namespace` and `images`.
 */
export function readKustomization(dir: string, root = REPO_ROOT): KubernetesObject[] {
  const kustomization = parse(readFileSync(join(root, dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const objects: KubernetesObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = posix.join(dir, resource);
    if (!existsSync(join(root, path))) throw new Error(`${dir}/kustomization.yaml lists ${resource}, which does not exist`);
    if (statSync(join(root, path)).isDirectory()) objects.push(...readKustomization(path, root));
    else objects.push(...readManifest(path, root));
  }
  for (const o of objects) {
    if (kustomization.namespace && o.kind !== 'Namespace') o.metadata = { ...o.metadata, namespace: kustomization.namespace };
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      const [name = '', tag] = (c.image ?? '').split(/:(?=[^/:]+$)/);
      const override = kustomization.images?.find((i) => i.name === name);
      if (override) c.image = `${override.newName ?? name}:${override.newTag ?? tag}`;
    }
  }
  return objects;
}

function readManifest(path: string, root: string): KubernetesObject[] {
  const docs = parseAllDocuments(readFileSync(join(root, path), 'utf8'));
  const objects: KubernetesObject[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const object = doc.toJS() as KubernetesObject | null;
    if (object) objects.push(object);
  }
  return objects;
}

/** The apps' contracts (from their builds) and the images the Dockerfile makes. */
export function createDeployContext(dockerfile: Dockerfile, root = REPO_ROOT): DeployContext {
  const images = Object.fromEntries(DOCKER_TARGETS.map((t) => [t, imageFacts(dockerfile, t)]));
  return { apps: loadAppContracts(root), images: images as DeployContext['images'], exists: (p) => existsSync(join(root, p)) };
}
