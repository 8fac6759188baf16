import { cleanup } from '@testing-library/react';
import i18next, { type i18n as I18n } from 'i18next';
import { afterEach, beforeAll, expect } from 'vitest';

/**
 * An i18next instance for a renderer test file, on the app's own strings:
 * initialised before the file's tests; after each test the rendered tree is
 * cleaned up and every key a component asked for that the strings lack
 * (i18next reports each one) fails the test.
 */
export function useRendererStrings(resources: Record<string, object>, language: string): { i18n: I18n; missingKeys: string[] } {
  const i18n = i18next.createInstance();
  const missingKeys: string[] = [];
  beforeAll(async () => {
    await i18n.init({
      resources: Object.fromEntries(Object.entries(resources).map(([lng, strings]) => [lng, { translation: strings }])),
      lng: language,
      fallbackLng: false,
      interpolation: { escapeValue: false },
      saveMissing: true,
      missingKeyHandler: (_languages, _namespace, key) => missingKeys.push(key),
    });
  });
  afterEach(() => {
    cleanup();
    expect(missingKeys).toEqual([]);
  });
  return { i18n, missingKeys };
}
