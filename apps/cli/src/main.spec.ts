import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from './main.js';

const COMMANDS_DIR = join(__dirname, 'commands');

/** The command modules under src/commands, by oclif id: "node/drain.ts" is "node:drain". */
function commandFiles(): Map<string, string> {
  const files = readdirSync(COMMANDS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  return new Map(files.map((f) => [f.replace(/\.ts$/, '').split(/[\\/]/).join(':'), f]));
}

describe('COMMANDS (oclif finds the commands of the bundle here)', () => {
  it('lists every command module under commands/, by its oclif id', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual([...commandFiles().keys()].sort());
  });

  it("maps each id to its module's command class", () => {
    for (const [id, file] of commandFiles()) {
      expect(COMMANDS[id as keyof typeof COMMANDS]).toBe(require(join(COMMANDS_DIR, file)).default);
    }
  });

  it('is where package.json sends oclif', () => {
    const cliPackage = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { oclif: { commands: unknown } };
    expect(cliPackage.oclif.commands).toEqual({ strategy: 'explicit', target: './dist/dfs.js', identifier: 'COMMANDS' });
  });
});
