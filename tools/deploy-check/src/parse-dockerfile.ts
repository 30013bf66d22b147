import { posix } from 'node:path';

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  name: string | undefined;
  /** The base: an image reference (ARGs substituted) or an earlier stage's name. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  args: Readonly<Record<string, string | undefined>>;
  stages: Stage[];
}

/** What a target's image ends up with, its base stages included. */
export interface ImageFacts {
  /** The external image at the root of the target's chain of stages. */
  baseImage: string;
  env: Record<string, string>;
  workdir: string;
  /** Where the last `COPY --from=` put files: the apps' tree, laid out as in the repository. */
  appRoot: string;
  user: string | undefined;
  /** Exec-form command of HEALTHCHECK CMD, 'NONE', or undefined when there is none. */
  healthcheck: string[] | 'NONE' | undefined;
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  expose: string[];
  volumes: string[];
}

/** Parses the instructions of a Dockerfile (no evaluation beyond ARG defaults in FROM). */
export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  let pending: { text: string; line: number } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    // Comment lines, also inside a continuation, are dropped by Docker.
    if (raw === '' || raw.startsWith('#')) continue;
    const continued = raw.endsWith('\\');
    const part = continued ? raw.slice(0, -1).trim() : raw;
    pending = pending ? { text: `${pending.text} ${part}`, line: pending.line } : { text: part, line: i + 1 };
    if (continued) continue;
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/s.exec(pending.text) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest, line: pending.line };
    pending = undefined;
    if (instruction.keyword === 'FROM') {
      const words = substitute(instruction.args, args).split(/\s+/).filter((w) => !w.startsWith('--'));
      stages.push({ from: words[0] ?? '', name: words[1]?.toUpperCase() === 'AS' ? words[2] : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name, value] = instruction.args.split('=', 2);
      args[name!.trim()] = value?.trim();
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function substitute(text: string, args: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args[braced ?? bare!] ?? whole);
}

/** The stage named `target`, or undefined. */
export function stageNamed(dockerfile: Dockerfile, target: string): Stage | undefined {
  return dockerfile.stages.find((s) => s.name === target);
}

/** The stages `target` is built on, the external base first and `target` last. */
export function stageChain(dockerfile: Dockerfile, target: string): Stage[] {
  const chain: Stage[] = [];
  for (let stage = stageNamed(dockerfile, target); stage && !chain.includes(stage); stage = stageNamed(dockerfile, stage.from)) {
    chain.unshift(stage);
  }
  return chain;
}

/** What the image of `target` is configured with: ENV, WORKDIR, USER, HEALTHCHECK … along its chain of stages. */
export function imageFacts(dockerfile: Dockerfile, target: string): ImageFacts {
  const chain = stageChain(dockerfile, target);
  const facts: ImageFacts = { baseImage: chain[0]?.from ?? '', env: {}, workdir: '/', appRoot: '/', user: undefined, healthcheck: undefined, entrypoint: undefined, cmd: undefined, expose: [], volumes: [] };
  for (const { keyword, args } of chain.flatMap((s) => s.instructions)) {
    switch (keyword) {
      case 'ENV':
        Object.assign(facts.env, parseEnv(args));
        break;
      case 'WORKDIR':
        facts.workdir = posix.resolve(facts.workdir, args.trim());
        break;
      case 'COPY':
        if (/--from=/.test(args)) facts.appRoot = posix.resolve(facts.workdir, args.trim().split(/\s+/).pop()!);
        break;
      case 'USER':
        facts.user = args.trim();
        break;
      case 'HEALTHCHECK': {
        const command = /(?:^|\s)CMD\s+(.*)$/s.exec(args);
        facts.healthcheck = args.trim() === 'NONE' ? 'NONE' : command ? commandWords(command[1]!) : undefined;
        break;
      }
      case 'ENTRYPOINT':
        facts.entrypoint = commandWords(args);
        // Docker resets an inherited CMD when ENTRYPOINT is set.
        facts.cmd = undefined;
        break;
      case 'CMD':
        facts.cmd = commandWords(args);
        break;
      case 'EXPOSE':
        facts.expose.push(...args.split(/\s+/).map((p) => p.replace(/\/(tcp|udp)$/, '')));
        break;
      case 'VOLUME':
        facts.volumes.push(...(args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)));
        break;
    }
  }
  return facts;
}

/** `ENV A=1 B="two words"`, or the legacy `ENV A value`. */
function parseEnv(args: string): Record<string, string> {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args.trim());
  if (legacy) return { [legacy[1]!]: legacy[2]! };
  const env: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g)) env[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
  return env;
}

/** Exec form (a JSON array) as is; shell form as Docker runs it. */
function commandWords(args: string): string[] {
  const text = args.trim();
  return text.startsWith('[') ? (JSON.parse(text) as string[]) : ['/bin/sh', '-c', text];
}
