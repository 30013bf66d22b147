import type { z } from 'zod';
import { coerceEnvValue } from './coerce-env-value.js';
import { ConfigError } from './config-error.js';
import { describeIssue } from './describe-issue.js';
import { findUnknownKeys, type UnknownKey } from './find-unknown-keys.js';
import { readYamlFile, type YamlFile } from './read-yaml-file.js';
import { objectShape, schemaAt } from './schema-at.js';

/** Where {@link loadConfig} looks for settings. */
export interface LoadConfigOptions {
  /** The environment to read. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Environment variable → dotted setting path, e.g.
   * `{ DATANODE_PORT: 'port', DATA_DIR: 'storage.dir' }`. Only these variables
   * are read. Every path must exist in the schema (a TypeError otherwise).
   */
  envMap: Readonly<Record<string, string>>;
  /**
   * A YAML file to read (e.g. from a `--config` flag). Takes precedence over
   * `fileEnvVar`. A file named here or there must exist. Default: none.
   */
  file?: string;
  /** An environment variable that may name the YAML file, e.g. `DATANODE_CONFIG`. Default: none. */
  fileEnvVar?: string;
}

interface EnvSetting {
  name: string;
  path: string[];
  text: string;
}

/**
 * Loads a service's configuration: the schema's defaults, overridden by the
 * YAML file, overridden by environment variables, validated by `schema`.
 *
 * Environment values are strings, coerced to what the schema expects
 * (numbers, booleans, comma-separated lists); an empty variable counts as
 * unset, as compose files write `FOO=` to mean "not set". Keys in the YAML file
 * that the schema does not know are errors, even for a non-strict schema.
 * For nested sections with defaults use `.prefault({})`, so the inner
 * defaults apply when the section is absent.
 *
 * @throws ConfigError listing every problem found, each naming the variable,
 *   or the file, line and setting, that holds the bad value.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): z.infer<S> {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const envTargets = Object.entries(options.envMap).map(([name, dotted]) => {
    const path = dotted.split('.');
    const target = schemaAt(schema, path);
    if (!target) throw new TypeError(`loadConfig: envMap maps ${name} to "${dotted}", which is not a setting in the schema`);
    return { name, path, target };
  });

  const fileFromEnv = options.fileEnvVar ? nonEmpty(env[options.fileEnvVar]) : undefined;
  const file = options.file ?? fileFromEnv;
  let yaml: YamlFile | undefined;
  let fileFailed = false;
  if (file !== undefined) {
    const read = readYamlFile(file, options.file === undefined ? ` (from ${options.fileEnvVar})` : '');
    if (read.ok) {
      yaml = read.yaml;
      problems.push(...findUnknownKeys(schema, yaml.data).map((unknown) => unknownKeyProblem(read.yaml, unknown)));
    } else {
      problems.push(...read.problems);
      fileFailed = true;
    }
  }

  const raw: Record<string, unknown> = yaml ? structuredClone(yaml.data) : {};
  const fromEnv: EnvSetting[] = [];
  for (const { name, path, target } of envTargets) {
    const text = nonEmpty(env[name]);
    if (text === undefined) continue;
    setPath(raw, path, coerceEnvValue(target, text));
    fromEnv.push({ name, path, text });
  }

  const result = schema.safeParse(raw, { error: describeIssue, reportInput: true });
  if (!result.success) {
    const context: IssueContext = { schema, raw, yaml, fromEnv, fileFailed, envTargets, fileHint: fileHint(options, file) };
    for (const issue of result.error.issues) {
      for (const problem of describeProblems(issue, context)) {
        if (!problems.includes(problem)) problems.push(problem);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: z.infer<S> }).data;
}

interface IssueContext {
  schema: z.core.$ZodType;
  raw: Record<string, unknown>;
  yaml: YamlFile | undefined;
  fromEnv: EnvSetting[];
  fileFailed: boolean;
  envTargets: { name: string; path: string[] }[];
  fileHint: string | undefined;
}

function describeProblems(issue: z.core.$ZodIssue, context: IssueContext): string[] {
  const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
  if (issue.code === 'unrecognized_keys') {
    // Only the YAML file can bring unknown keys; findUnknownKeys usually
    // reported them already, and the caller drops the duplicates.
    const at = schemaAt(context.schema, path.map(String));
    const known = Object.keys((at && objectShape(at)) ?? {});
    return issue.keys.map((key) => {
      const unknown = { path: [...path, key], known };
      return context.yaml ? unknownKeyProblem(context.yaml, unknown) : `unknown setting "${dotted(unknown.path)}"`;
    });
  }
  // A default never appears in the raw input; the issue carries it.
  const value = valueAt(context.raw, path) ?? issue.input;
  const env = longestPrefix(context.fromEnv, path);
  if (env) {
    const inner = path.length > env.path.length ? ` (${dotted(path)})` : '';
    return [`${env.name}=${JSON.stringify(env.text)}${inner}: ${issue.message}`];
  }
  if (context.yaml && hasPath(context.yaml.data, path) && path.length > 0) {
    return [`${context.yaml.file}:${context.yaml.lineOf(path) ?? 1}: ${dotted(path)}=${show(value)}: ${issue.message}`];
  }
  if (path.length === 0) return [issue.message];
  if (value === undefined && issue.code === 'invalid_type') {
    // The setting may well be in the file that could not be read.
    if (context.fileFailed) return [];
    const where = context.envTargets.filter((t) => dotted(t.path) === dotted(path)).map((t) => t.name);
    if (context.fileHint) where.push(`"${dotted(path)}" in ${context.fileHint}`);
    return [`${dotted(path)} is not set (${issue.message})${where.length ? `: set ${where.join(' or ')}` : ''}`];
  }
  return [`${dotted(path)}=${show(value)} (default): ${issue.message}`];
}

function unknownKeyProblem(yaml: YamlFile, unknown: UnknownKey): string {
  const known = unknown.known.length > 0 ? `; known keys here: ${unknown.known.join(', ')}` : '';
  return `${yaml.file}:${yaml.lineOf(unknown.path) ?? 1}: unknown key "${dotted(unknown.path)}"${known}`;
}

function fileHint(options: LoadConfigOptions, file: string | undefined): string | undefined {
  if (file !== undefined) return file;
  return options.fileEnvVar ? `the YAML file named by ${options.fileEnvVar}` : undefined;
}

function longestPrefix(settings: EnvSetting[], path: readonly (string | number)[]): EnvSetting | undefined {
  let best: EnvSetting | undefined;
  for (const setting of settings) {
    const isPrefix = setting.path.length <= path.length && setting.path.every((key, i) => key === String(path[i]));
    if (isPrefix && (!best || setting.path.length > best.path.length)) best = setting;
  }
  return best;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function hasPath(root: unknown, path: readonly (string | number)[]): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  return typeof parent === 'object' && parent !== null && Object.hasOwn(parent, path[path.length - 1]);
}

function dotted(path: readonly (string | number)[]): string {
  return path.join('.');
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
