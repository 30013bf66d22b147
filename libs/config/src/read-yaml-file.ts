import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

/** A parsed YAML config file that can say on which line a setting is. */
export interface YamlFile {
  /** The path as given, used in messages so the operator recognises it. */
  readonly file: string;
  /** The settings: the file's top-level mapping ({} for an empty file). */
  readonly data: Record<string, unknown>;
  /** 1-based line of the deepest node of `path` present in the file. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** The file, or the problems that keep it from being used. */
export type ReadYamlResult = { ok: true; yaml: YamlFile } | { ok: false; problems: string[] };

/**
 * Reads and parses a YAML config file. Every syntax error is reported with
 * its line and column; the file must hold a mapping (or nothing at all).
 * `origin` says how the file was named (e.g. ` (from DATANODE_CONFIG)`).
 */
export function readYamlFile(file: string, origin = ''): ReadYamlResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { ok: false, problems: [`${file}${origin}: cannot read the config file: ${reason}`] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return `${file}:${line}:${col}: malformed YAML: ${error.message.split('\n')[0]}`;
      }),
    };
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [`${file}: expected a mapping of settings (key: value lines) at the top level`] };
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    let node: unknown = doc.contents;
    let offset: number | undefined = doc.contents?.range?.[0];
    for (const key of path) {
      let next: Node | undefined | null;
      if (isMap(node)) {
        const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(key));
        if (!pair) break;
        offset = (pair.key as Node | null)?.range?.[0] ?? offset;
        next = pair.value as Node | null;
      } else if (isSeq(node) && typeof key === 'number') {
        next = node.items[key] as Node | undefined;
        if (!next) break;
        offset = next.range?.[0] ?? offset;
      } else {
        break;
      }
      node = next;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { ok: true, yaml: { file, data: data as Record<string, unknown>, lineOf } };
}
