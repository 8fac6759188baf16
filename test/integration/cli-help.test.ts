import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli-harness';

// `npx myna-kiosk <command> --help` answers for every command the usage
// lists: that command's own lines, exit 0, nothing run.

const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });

/** The commands as the top-level usage names them: the words of each entry before its first option or argument. */
function commandsOf(usage: string): string[] {
  const names = usage
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => {
      const words: string[] = [];
      for (const word of line.trim().split(/\s+/)) {
        if (/^[[<-]/.test(word)) break;
        words.push(word);
      }
      return words.join(' ');
    });
  return [...new Set(names)];
}

describe('help', () => {
  it('the top level lists the commands and exits 0', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    const top = run(['--help']);
    expect(top.status).toBe(0);
    expect(commandsOf(top.stdout)).toEqual(expect.arrayContaining(['session', 'audit verify', 'service', 'service init', 'bench service']));
  });

  it('every command answers --help with its own usage lines and exit 0, running nothing', () => {
    const commands = commandsOf(run(['--help']).stdout);
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const help = run([...command.split(' '), '--help']);
      expect(help.status, `${command} --help: ${help.stderr}`).toBe(0);
      expect(help.stdout, command).toContain(`\n  ${command}`);
      expect(help.stderr, command).toBe('');
    }
  }, 120_000);
});
