import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// electron-builder cannot run here (it downloads Electron), so the packaged
// file set is checked against the build itself: the terminal's entry and
// everything it imports ship; the CLI, the web host and the test harnesses
// bundled with them do not.
const ROOT = new URL('../..', import.meta.url).pathname;
const OUT = join(ROOT, 'out/main');

/** out/main/index.js and every chunk it imports, transitively. */
function loadedByTheTerminal(): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/from\s*"(\.{1,2}\/[^"]+)"/g)) visit(join(file, '..', target!));
  };
  visit(join(OUT, 'index.js'));
  return seen;
}

/** The JavaScript files under out/main. */
function builtFiles(dir = OUT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? builtFiles(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  );
}

/** The `!`-patterns of electron-builder.yml's files (only `*` wildcards are used there). */
function excluded(file: string): boolean {
  const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as { files: string[] };
  const path = relative(ROOT, file);
  return config.files
    .filter((pattern) => pattern.startsWith('!') && !pattern.includes('**'))
    .some((pattern) =>
      new RegExp(
        `^${pattern
          .slice(1)
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')}$`,
      ).test(path),
    );
}

describe('the packaged app', () => {
  it('is built (npm test builds first)', () => {
    expect(existsSync(join(OUT, 'index.js')), 'run "npm run build" first').toBe(true);
  });

  it('ships what the terminal loads, and leaves out every other bundle', () => {
    const loaded = loadedByTheTerminal();
    const wrong = builtFiles()
      .filter((file) => loaded.has(file) === excluded(file))
      .map((file) => `${relative(OUT, file)}: ${loaded.has(file) ? 'loaded by the terminal but excluded' : 'not loaded, yet packaged'}`);
    expect(wrong).toEqual([]);
    expect([...loaded].map((file) => relative(OUT, file))).toContain('index.js');
  });

  it('carries no test harness, web host or CLI in what it loads', () => {
    const code = [...loadedByTheTerminal()].map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(code).not.toContain('pcscd-sandbox-shim');
    expect(code).not.toContain('WebSocketServer');
    expect(code).not.toContain('myna-kiosk <command>');
  });
});
