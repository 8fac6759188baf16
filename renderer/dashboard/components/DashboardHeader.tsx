import type { Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { DashboardLanguage } from '../../../preload/dashboard-contract';
import { DASHBOARD_LANGUAGE_NAMES, DASHBOARD_LANGUAGE_ORDER, dashboardLanguage } from '../i18n';

interface DashboardHeaderProps {
  /** The signed-in account, when there is one. */
  account?: string;
  onLanguage: (language: DashboardLanguage) => void;
  onSignOut?: () => void;
  signingOut?: boolean;
  /** The title takes the focus when the view changes (sign-in, sign-out), so a keyboard user starts from the top. */
  titleRef?: Ref<HTMLHeadingElement>;
}

/** The banner of both views: title, account, language toggle, sign-out. */
export function DashboardHeader({ account, onLanguage, onSignOut, signingOut = false, titleRef }: DashboardHeaderProps) {
  const { t, i18n } = useTranslation();
  const current = dashboardLanguage(i18n);
  return (
    <header className="dash-header">
      <h1 className="dash-header__title" tabIndex={-1} ref={titleRef}>
        {t('title')}
      </h1>
      <div className="dash-header__tools">
        {account !== undefined && <p className="dash-header__account">{t('header.signedInAs', { account })}</p>}
        <div className="dash-header__languages" role="group" aria-label={t('header.languages')}>
          {DASHBOARD_LANGUAGE_ORDER.map((language) => (
            <button key={language} type="button" lang={language} aria-pressed={language === current} onClick={() => onLanguage(language)}>
              {DASHBOARD_LANGUAGE_NAMES[language]}
            </button>
          ))}
        </div>
        {onSignOut && (
          <button type="button" onClick={onSignOut} disabled={signingOut}>
            {t('header.signOut')}
          </button>
        )}
      </div>
    </header>
  );
}
