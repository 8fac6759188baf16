import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SESSION_SCREENS } from '../../../preload/contract';
import { HAND_OFF_CODES, LANGUAGES, RENEWAL_PROGRESS_STEPS } from '../../../preload/contract';

const LOCALES = join(import.meta.dirname, '../../../renderer/src/locales');
const SOURCES = join(import.meta.dirname, '../../../renderer/src');

type Tree = { [key: string]: string | Tree };
const load = (language: string): Tree => JSON.parse(readFileSync(join(LOCALES, `${language}.json`), 'utf8')) as Tree;

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

function valueAt(tree: Tree, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Tree | undefined)?.[part], tree);
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]).sort();

const japanese = load('ja');
const reference = keys(japanese).sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

describe('translations', () => {
  it('has a file for every language and no file for a language the kiosk does not offer', () => {
    const files = readdirSync(LOCALES)
      .map((name) => name.replace(/\.json$/, ''))
      .sort();
    expect(files).toEqual([...LANGUAGES].sort());
  });

  it.each(LANGUAGES)('%s has every key Japanese has, and no other', (language) => {
    expect(keys(load(language)).sort()).toEqual(reference);
  });

  it.each(LANGUAGES)('%s has no empty string', (language) => {
    const tree = load(language);
    expect(keys(tree).filter((key) => String(valueAt(tree, key)).trim() === '')).toEqual([]);
  });

  it.each(LANGUAGES)('%s keeps every placeholder of each string', (language) => {
    const tree = load(language);
    const broken = reference.filter(
      (key) => placeholders(String(valueAt(tree, key))).join() !== placeholders(String(valueAt(japanese, key))).join(),
    );
    expect(broken).toEqual([]);
  });

  it('has words for every reader state, busy screen, progress step and hand-off reason', () => {
    for (const state of ['unavailable', 'no_reader', 'waiting_for_card', 'card_present']) expect(reference).toContain(`reader.${state}`);
    for (const screen of [
      'reading',
      'verifying',
      'setting-pin',
      'checking-substitutes',
      'ended',
    ] satisfies (typeof SESSION_SCREENS)[number][])
      expect(reference).toContain(`busy.${screen}.title`);
    for (const step of RENEWAL_PROGRESS_STEPS) expect(reference).toContain(`renewing.step.${step}`);
    for (const code of HAND_OFF_CODES)
      for (const part of ['reasons', 'bring', 'where']) expect(reference).toContain(`slips.handOff.${part}.${code}`);
  });

  it('has every key the renderer asks for by name', () => {
    const asked = sourceFiles(SOURCES).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)].map((match) => match[1]!),
    );
    expect(asked.length).toBeGreaterThan(50);
    expect([...new Set(asked)].filter((key) => !reference.includes(key))).toEqual([]);
  });
});
