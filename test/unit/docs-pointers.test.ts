import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Comments and docs point readers to docs/<page>.md and to a section of it
// ("docs/domain.md, \"Routes\""). A pointer to a page or a section that does
// not exist sends a reader nowhere: every one in the tree must resolve.
const ROOT = new URL('../..', import.meta.url).pathname;
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => /\.(ts|tsx|mjs|css|md|yml)$/.test(file) && existsSync(`${ROOT}${file}`));

interface Pointer {
  from: string;
  page: string;
  section?: string;
}

function pointers(): Pointer[] {
  const found: Pointer[] = [];
  for (const from of tracked) {
    // Comments wrap: read the file as one line so a pointer split over lines is still one pointer.
    const text = readFileSync(`${ROOT}${from}`, 'utf8').replace(/\s*\n\s*(?:\*|\/\/|#)?\s*/g, ' ');
    for (const match of text.matchAll(/docs\/([a-z-]+\.md)(?:, "([^"]+)")?/g)) {
      found.push({ from, page: `docs/${match[1]}`, ...(match[2] ? { section: match[2] } : {}) });
    }
  }
  return found;
}

/** A section is a heading, or a bold term opening a list item, that contains the name (before any "…"). */
function hasSection(page: string, section: string): boolean {
  const name = section.split('…')[0]!.trim();
  return readFileSync(`${ROOT}${page}`, 'utf8')
    .split('\n')
    .some((line) => (/^#+ /.test(line) || /^\s*- \*\*/.test(line)) && line.includes(name));
}

describe('pointers to docs/', () => {
  const all = pointers();

  it('are found in the code (the check reads what it should)', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.some((pointer) => pointer.section !== undefined)).toBe(true);
  });

  it('name pages that exist', () => {
    const missing = all.filter((pointer) => !existsSync(`${ROOT}${pointer.page}`)).map((pointer) => `${pointer.from} → ${pointer.page}`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('name sections that exist on their page', () => {
    const missing = all
      .filter(
        (pointer) => pointer.section !== undefined && existsSync(`${ROOT}${pointer.page}`) && !hasSection(pointer.page, pointer.section),
      )
      .map((pointer) => `${pointer.from} → ${pointer.page}, "${pointer.section}"`);
    expect([...new Set(missing)]).toEqual([]);
  });
});
