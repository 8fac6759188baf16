import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../../preload/contract';
import { resources } from '../../../renderer/src/i18n';

function keys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

const reference = keys(resources.ja.translation).sort();

describe('translations', () => {
  it.each(LANGUAGES)('%s has every key Japanese has, and no other', (language) => {
    expect(keys(resources[language].translation).sort()).toEqual(reference);
  });

  it.each(LANGUAGES)('%s has no empty string', (language) => {
    const empty = keys(resources[language].translation).filter((key) => {
      const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], resources[language].translation);
      return typeof value !== 'string' || value.trim() === '';
    });
    expect(empty).toEqual([]);
  });

  it('has a message for every reader state', () => {
    for (const state of ['unavailable', 'no_reader', 'waiting_for_card', 'card_present']) expect(reference).toContain(`reader.${state}`);
  });
});
