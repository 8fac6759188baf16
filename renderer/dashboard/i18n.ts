import { createInstance, type i18n } from 'i18next';
import type { DashboardLanguage } from '../../preload/dashboard-contract';
import en from './locales/en.json';
import ja from './locales/ja.json';

/**
 * The dashboard's two languages, both bundled (two small files): Japanese
 * first, English on the toggle. Its own i18next instance, apart from the
 * kiosk's, so the two pages never share a string by accident.
 */
export const DASHBOARD_LANGUAGE_NAMES: Readonly<Record<DashboardLanguage, string>> = { ja: '日本語', en: 'English' };
export const DASHBOARD_LANGUAGE_ORDER: readonly DashboardLanguage[] = ['ja', 'en'];

/** The Intl locale each language formats numbers and relative times with (dates are the same in both: 2026-12-07 09:05:03). */
export const INTL_LOCALES: Readonly<Record<DashboardLanguage, string>> = { ja: 'ja-JP', en: 'en-US' };

export function createDashboardI18n(language: DashboardLanguage = 'ja'): i18n {
  const instance = createInstance();
  void instance.init({
    resources: { ja: { translation: ja }, en: { translation: en } },
    lng: language,
    supportedLngs: [...DASHBOARD_LANGUAGE_ORDER],
    fallbackLng: 'ja',
    interpolation: { escapeValue: false },
    // Both bundles are here, so the first render already has its strings.
    initAsync: false,
    react: { useSuspense: false },
  });
  return instance;
}

export function dashboardLanguage(instance: i18n): DashboardLanguage {
  return instance.language === 'en' ? 'en' : 'ja';
}
