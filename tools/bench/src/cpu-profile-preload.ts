// Loaded with `node --require` (NODE_OPTIONS for the datanodes, which do
// not accept --cpu-prof there: Node 20 refuses it in NODE_OPTIONS): when
// DFS_BENCH_PROFILE_DIR is set, profiles the whole process with V8's
// sampling profiler and writes <name>-<pid>.cpuprofile into that directory
// when the process exits (process.exit or the end of the event loop; not
// SIGKILL). <name> is the app for apps/<app>/dist/main.js, else the
// script's name. Read one with cpu-profile-top.js, Chrome DevTools or speedscope.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join } from 'node:path';

export function profileName(script: string): string {
  const name = basename(script, '.js');
  return name === 'main' ? basename(dirname(dirname(script))) : name;
}

const dir = process.env['DFS_BENCH_PROFILE_DIR'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // An in-process inspector session answers synchronously, so this works inside 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `${profileName(process.argv[1] ?? 'node')}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
