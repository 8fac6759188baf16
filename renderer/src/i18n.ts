import i18next from 'i18next';
import resourcesToBackend from 'i18next-resources-to-backend';
import { initReactI18next } from 'react-i18next';
import { LANGUAGES } from '../../preload/vocabulary';
import type { Language } from '../../preload/contract';
import ja from './locales/ja.json';

/** Each language's own name, written in that language, for the language buttons. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  ja: '日本語',
  'ja-x-easy': 'やさしい にほんご',
  en: 'English',
  'zh-Hans': '简体中文',
  'zh-Hant': '繁體中文',
  ko: '한국어',
  es: 'Español',
  pt: 'Português',
  vi: 'Tiếng Việt',
  tl: 'Tagalog',
  id: 'Bahasa Indonesia',
  th: 'ไทย',
  ne: 'नेपाली',
};

// Japanese is in the first bundle; every other language is its own chunk, fetched from the kiosk's own files when chosen.
const bundles = import.meta.glob<{ default: Record<string, unknown> }>(['./locales/*.json', '!./locales/ja.json']);

void i18next
  .use(
    resourcesToBackend(
      (language: string) => bundles[`./locales/${language}.json`]?.() ?? Promise.reject(new Error(`no strings for ${language}`)),
    ),
  )
  .use(initReactI18next)
  .init({
    resources: { ja: { translation: ja } },
    partialBundledLanguages: true,
    lng: 'ja',
    supportedLngs: [...LANGUAGES],
    load: 'currentOnly',
    fallbackLng: false,
    interpolation: { escapeValue: false },
    // Japanese is bundled, so the first render already has its strings.
    initAsync: false,
    react: { useSuspense: false },
  });

/** Loads the language's strings if needed, then switches every string and the page's lang at once. */
export async function applyLanguage(language: Language): Promise<void> {
  await i18next.loadLanguages(language);
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

export { i18next };
