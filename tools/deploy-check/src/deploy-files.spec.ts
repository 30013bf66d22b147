import { checkCompose, environmentOf } from './check-compose.js';
import { checkDockerfile } from './check-dockerfile.js';
import { checkKubernetes } from './check-kubernetes.js';
import { DEPLOY_FILES, createDeployContext, readCompose, readDockerfile, readKustomization } from './load-deploy-files.js';

// The deployment files as they are in the repository: no engine runs them in
// CI (no Docker here), so they are held to what the apps actually read, listen
// on and build. Each checker's ability to fail is shown in its own spec.
const dockerfile = readDockerfile();
const context = createDeployContext(dockerfile);

describe('deploy/docker/Dockerfile', () => {
  it('builds coordinator, datanode and cli images that start the built apps as non-root, with health checks', () => {
    expect(checkDockerfile(dockerfile, context)).toEqual([]);
  });

  it('runs the built scripts from the image layout', () => {
    expect(context.images.datanode).toMatchObject({
      workdir: '/app',
      user: '1000:1000',
      entrypoint: ['node', '--initial-old-space-size=64', '/app/apps/datanode/dist/main.js'],
      healthcheck: ['node', '/app/apps/datanode/dist/healthcheck.js'],
    });
    expect(context.images.coordinator.baseImage).toMatch(/^node:20[\w.-]*-bookworm-slim$/);
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = readCompose();

  it('matches the apps and the images', () => {
    expect(checkCompose(compose, context)).toEqual([]);
  });

  it('runs etcd, one coordinator on etcd and six datanodes in three zones', () => {
    const services = compose.services!;
    expect(Object.keys(services).sort()).toEqual(['cli', 'coordinator', 'datanode-1', 'datanode-2', 'datanode-3', 'datanode-4', 'datanode-5', 'datanode-6', 'etcd']);
    expect(environmentOf(services['coordinator']!)).toMatchObject({ METADATA_BACKEND: 'etcd', ETCD_ENDPOINTS: 'http://etcd:2379', COORDINATOR_HOST: '0.0.0.0' });
    const zones = Object.values(services).map((s) => environmentOf(s)['DATANODE_ZONE']).filter(Boolean);
    expect(zones.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });
});

describe('deploy/k8s', () => {
  it('runs the coordinator as a Deployment and the datanodes as a StatefulSet, against an external etcd', () => {
    const objects = readKustomization(DEPLOY_FILES.kubernetes);
    expect(checkKubernetes(objects, context, DEPLOY_FILES.kubernetes)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      'ConfigMap/dfs-etcd',
      'Deployment/dfs-coordinator',
      'Namespace/dfs',
      'PodDisruptionBudget/dfs-datanode',
      'Service/dfs-coordinator',
      'Service/dfs-datanode',
      'StatefulSet/dfs-datanode',
    ]);
  });

  it('adds a development etcd in dev/ that ETCD_ENDPOINTS reaches', () => {
    const objects = readKustomization(DEPLOY_FILES.kubernetesDev);
    expect(checkKubernetes(objects, context, DEPLOY_FILES.kubernetesDev, { etcdInside: true })).toEqual([]);
    expect(objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata?.name)).toEqual(['dfs-datanode', 'dfs-etcd']);
  });
});
