import { SERVICE_NODE_ARGS } from '@dfs/config';
import type { AppName } from './app-contracts.js';
import { ENTRY_SCRIPT, healthcheckScript, isPinned, nodeScriptProblems, resolveSettings, unknownEnvProblems, type DeployContext } from './deploy-context.js';
import { imageFacts, stageNamed, type Dockerfile } from './parse-dockerfile.js';

/** The targets of deploy/docker/Dockerfile, one per app. */
export const DOCKER_TARGETS: readonly AppName[] = ['coordinator', 'datanode', 'cli'];

/**
 * Everything wrong with the Dockerfile, one sentence each (none: []): every
 * base image pinned; per target a multi-stage build whose final stage copies
 * from a build stage onto a slim image, runs as a non-root user, starts
 * `node <the app's built entry script>` and, for services, has a HEALTHCHECK
 * running the app's built health check, EXPOSEs the port its ENV sets and
 * declares its data directory a VOLUME; ENV names only what the app reads;
 * production dependencies are installed for that app's workspace alone.
 */
export function checkDockerfile(dockerfile: Dockerfile, context: DeployContext, file = 'deploy/docker/Dockerfile'): string[] {
  const problems: string[] = [];
  const stageNames = new Set(dockerfile.stages.map((s) => s.name));
  for (const stage of dockerfile.stages) {
    if (!stageNames.has(stage.from) && !isPinned(stage.from)) {
      problems.push(`${file}: FROM ${stage.from || '(nothing)'} is not pinned: name a tag other than latest, or a digest`);
    }
  }
  const runs = dockerfile.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN').map((i) => i.args);
  for (const app of DOCKER_TARGETS) problems.push(...targetProblems(dockerfile, app, runs, context, `${file} target ${app}`));
  return problems;
}

function targetProblems(dockerfile: Dockerfile, app: AppName, runs: string[], context: DeployContext, where: string): string[] {
  const stage = stageNamed(dockerfile, app);
  if (!stage) return [`${where}: no stage named ${app} (FROM … AS ${app})`];
  const problems: string[] = [];
  const image = imageFacts(dockerfile, app);
  const copiesFromBuild = stage.instructions.some((i) => i.keyword === 'COPY' && /--from=/.test(i.args));
  if (dockerfile.stages.length < 2 || !copiesFromBuild) problems.push(`${where}: not a multi-stage build: the final stage should COPY --from= a build stage`);
  if (!/-slim\b|alpine|distroless/.test(image.baseImage)) problems.push(`${where}: runs on ${image.baseImage}; use a small runtime image (node:<version>-bookworm-slim)`);
  if (!image.user || /^(root|0)(:|$)/.test(image.user)) problems.push(`${where}: runs as ${image.user ?? 'root (no USER)'}; set a non-root USER in the final stage`);

  const command = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
  // The CLI's CMD is its default arguments (--help); the script is what ENTRYPOINT runs.
  // Services run with the flags the local and test clusters use; the CLI with none.
  problems.push(...nodeScriptProblems(`${where} ENTRYPOINT/CMD`, app === 'cli' ? image.entrypoint : command, ENTRY_SCRIPT[app], app, context, app === 'cli' ? [] : SERVICE_NODE_ARGS));
  problems.push(...unknownEnvProblems(`${where} ENV`, app, Object.keys(image.env), context));

  if (!runs.some((run) => /\bnpm ci\b/.test(run) && /--omit=dev\b/.test(run) && new RegExp(`(--workspace|-w)[= ]apps/${app}\\b`).test(run))) {
    problems.push(`${where}: no \`npm ci --omit=dev --workspace apps/${app}\`: the image would get other apps' dependencies, or dev ones`);
  }
  if (!runs.some((run) => /\bnx\b/.test(run) && /\bbuild\b/.test(run) && new RegExp(`\\b${app}\\b`).test(run))) {
    problems.push(`${where}: no RUN builds ${app} with nx`);
  }
  if (app === 'cli') return problems;

  problems.push(...nodeScriptProblems(`${where} HEALTHCHECK`, image.healthcheck === 'NONE' ? undefined : image.healthcheck, healthcheckScript(app), app, context));
  const { settings, problems: refused } = resolveSettings(`${where} ENV`, app, {}, context);
  problems.push(...refused);
  if (settings) {
    if (!image.expose.includes(String(settings.port))) problems.push(`${where}: EXPOSE ${image.expose.join(' ') || '(none)'} does not include the port the app listens on, ${settings.port}`);
    if (!image.volumes.includes(settings.dataDir)) problems.push(`${where}: DATA_DIR ${settings.dataDir} is not a VOLUME (found ${image.volumes.join(', ') || 'none'})`);
  }
  return problems;
}
