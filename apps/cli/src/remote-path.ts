/**
 * Path arithmetic on DFS paths as the user typed them. The SDK and the
 * coordinator validate paths; this only joins and splits, so a bad path
 * reaches them unchanged and is reported with their message.
 */

/** `dir` joined with a relative `name` ("a/b"): "/" + "x" → "/x", "/d" + "x" → "/d/x". */
export function joinRemote(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/** The last component: "/a/b.txt" → "b.txt", "/" → "". */
export function remoteBaseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The path without trailing slashes ("/" stays "/"): "/backup/" → "/backup". */
export function trimRemote(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

/** "/d/x/y" relative to "/d" → "x/y"; relative to "/" → "d/x/y". */
export function relativeRemote(path: string, dir: string): string {
  return dir === '/' ? path.slice(1) : path.slice(dir.length + 1);
}
