import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDockerfile } from './check-dockerfile.js';
import { DEPLOY_FILES, REPO_ROOT, createDeployContext } from './load-deploy-files.js';
import { imageFacts, parseDockerfile } from './parse-dockerfile.js';

// Each check can fail: edit one line of a copy of the real Dockerfile and the
// checker names it (the real file passes, deploy-files.spec).
const original = readFileSync(join(REPO_ROOT, DEPLOY_FILES.dockerfile), 'utf8');

/** The Dockerfile with `from` replaced by `to` inside the stage named `stage` (or anywhere, without one). */
function edited(from: string | RegExp, to: string, stage?: string): string {
  const start = stage ? original.indexOf(`AS ${stage}\n`) : 0;
  const end = stage ? original.indexOf('\nFROM ', start) : original.length;
  expect(start).toBeGreaterThanOrEqual(0);
  const section = original.slice(start, end === -1 ? undefined : end);
  const changed = section.replace(from, to);
  expect(changed).not.toBe(section);
  return original.slice(0, start) + changed + (end === -1 ? '' : original.slice(end));
}

function problemsOf(text: string, exists?: (path: string) => boolean): string[] {
  const dockerfile = parseDockerfile(text);
  const context = createDeployContext(dockerfile);
  return checkDockerfile(dockerfile, exists ? { ...context, exists } : context);
}

describe('checkDockerfile', () => {
  it.each<[string, string, RegExp]>([
    ['images without USER', edited(/USER 1000:1000\n/, '', 'runtime'), /target datanode: runs as root \(no USER\)/],
    ['a final stage back to root', edited('EXPOSE 8080\n', 'EXPOSE 8080\nUSER root\n', 'coordinator'), /target coordinator: runs as root;/],
    ['an untagged base image', edited('FROM node:${NODE_VERSION}-bookworm AS toolchain', 'FROM node AS toolchain'), /FROM node is not pinned/],
    ['a base image on latest', edited('FROM node:${NODE_VERSION}-bookworm-slim AS runtime', 'FROM node:latest AS runtime'), /FROM node:latest is not pinned[\s\S]*use a small runtime image/],
    ['a missing HEALTHCHECK', edited(/HEALTHCHECK .*\n/, '', 'coordinator'), /target coordinator HEALTHCHECK: expected the exec form/],
    ['a HEALTHCHECK of another script', edited('dist/healthcheck.js', 'dist/health.js', 'datanode'), /HEALTHCHECK: runs \/app\/apps\/datanode\/dist\/health\.js .* expected apps\/datanode\/dist\/healthcheck\.js/],
    ['an ENTRYPOINT of the sources', edited('/app/apps/datanode/dist/main.js', '/app/apps/datanode/src/main.ts', 'datanode'), /ENTRYPOINT\/CMD: runs \/app\/apps\/datanode\/src\/main\.ts/],
    ['a service started without the GC flags', edited('"node", "--initial-old-space-size=64", "/app/apps/datanode', '"node", "/app/apps/datanode', 'datanode'), /target datanode ENTRYPOINT\/CMD: expected the exec form \["node","--initial-old-space-size=64",/],
    ['a shell-form ENTRYPOINT', edited(/ENTRYPOINT .*/, 'ENTRYPOINT node /app/apps/coordinator/dist/main.js', 'coordinator'), /ENTRYPOINT\/CMD: expected the exec form/],
    ['a variable the app does not read', edited('DATA_DIR=/var/lib/dfs/datanode', 'DATA_DIR=/var/lib/dfs/datanode DATANODE_DATA=/x', 'datanode'), /target datanode ENV: sets DATANODE_DATA, which the datanode does not read/],
    ['a value the app refuses', edited('COORDINATOR_PORT=8080', 'COORDINATOR_PORT=http', 'coordinator'), /target coordinator ENV: the coordinator would refuse to start: COORDINATOR_PORT="http"/],
    ['an EXPOSE that is not the port', edited('EXPOSE 9100', 'EXPOSE 9000', 'datanode'), /EXPOSE 9000 does not include the port the app listens on, 9100/],
    ['DATA_DIR not a volume', edited(/VOLUME .*\n/, '', 'datanode'), /DATA_DIR \/var\/lib\/dfs\/datanode is not a VOLUME/],
    ['production dependencies for the whole workspace', edited('--workspace apps/cli', '', 'cli-deps'), /target cli: no `npm ci --omit=dev --workspace apps\/cli`/],
    ['an app the build does not build', edited('-p coordinator datanode cli', '-p coordinator cli', 'build'), /target datanode: no RUN builds datanode with nx/],
    ['a single-stage image', 'FROM node:20-bookworm-slim AS datanode\nUSER 1000\nENTRYPOINT ["node", "/app/apps/datanode/dist/main.js"]\n', /target datanode: not a multi-stage build/],
  ])('names %s', (_, text, expected) => {
    expect(problemsOf(text).join('\n')).toMatch(expected);
  });

  it('names a script the build did not produce', () => {
    const problems = problemsOf(original, (path) => !path.endsWith('healthcheck.js'));
    expect(problems).toEqual([
      expect.stringMatching(/target coordinator HEALTHCHECK: apps\/coordinator\/dist\/healthcheck\.js does not exist: the build does not produce it/),
      expect.stringMatching(/target datanode HEALTHCHECK: apps\/datanode\/dist\/healthcheck\.js does not exist/),
    ]);
  });
});

describe('imageFacts', () => {
  it('follows a target through its stages: ENV and USER inherited, CMD reset by a later ENTRYPOINT, paths from WORKDIR', () => {
    const dockerfile = parseDockerfile(
      [
        'ARG BASE=20',
        'FROM node:${BASE}-slim AS base',
        'ENV A=1 B="two words"',
        'USER 1000',
        'WORKDIR /app',
        'CMD ["node", "x.js"]',
        'FROM base AS app',
        '# a comment inside a continuation is dropped',
        'RUN echo one \\',
        '  # dropped',
        '  && echo two',
        'COPY --from=build /out/ ./',
        'WORKDIR data',
        'ENTRYPOINT ["node", "main.js"]',
      ].join('\n'),
    );
    expect(dockerfile.stages.map((s) => [s.name, s.from])).toEqual([['base', 'node:20-slim'], ['app', 'base']]);
    expect(dockerfile.stages[1]!.instructions.find((i) => i.keyword === 'RUN')).toEqual({ keyword: 'RUN', args: 'echo one && echo two', line: 9 });
    expect(imageFacts(dockerfile, 'app')).toMatchObject({
      baseImage: 'node:20-slim',
      env: { A: '1', B: 'two words' },
      user: '1000',
      workdir: '/app/data',
      appRoot: '/app',
      entrypoint: ['node', 'main.js'],
      cmd: undefined,
    });
  });
});
