import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Language } from '../../preload/contract';
import en from './locales/en.json';
import ja from './locales/ja.json';

/** Each language's own name, written in that language, for the language buttons. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  ja: '日本語',
  en: 'English',
};

export const resources = { ja: { translation: ja }, en: { translation: en } } satisfies Record<Language, unknown>;

void i18next.use(initReactI18next).init({
  resources,
  lng: 'ja',
  fallbackLng: false,
  interpolation: { escapeValue: false },
  // Resources are bundled, so the first render already has its strings.
  initAsync: false,
});

export { i18next };
