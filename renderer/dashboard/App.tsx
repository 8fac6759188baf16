/**
 * The municipal dashboard: sign-in, then the fleet's overview, refreshed every
 * 15 s. Served by the issuing service (dashboard.html, same-origin /api/…,
 * preload/dashboard-contract.ts) under a strict CSP: no inline script or style.
 *
 * Stable accessible names and attributes, for end-to-end tests (ja / en):
 *   - banner: heading level 1 「マイナンバーカード電子証明書更新端末 管理画面」 /
 *     "Certificate renewal terminals — dashboard"; group 「表示言語」 / "Language"
 *     with toggle buttons 「日本語」 and 「English」 (the same in both languages,
 *     aria-pressed on the current one); button 「サインアウト」 / "Sign out".
 *   - sign-in: heading 「サインイン」 / "Sign in"; text field 「アカウント」 /
 *     "Account"; password field 「パスコード」 / "Passcode"; button 「サインイン」 /
 *     "Sign in"; refusals in the role="alert" element.
 *   - overview: button 「再読み込み」 / "Refresh"; the last update in a <time>
 *     inside .last-update; a failed refresh in role="status".
 *   - alerts: region and heading 「未解決の警告」 / "Open alerts"; one listitem per
 *     open alert with data-alert-kind and data-alert-id, its heading the kind
 *     (chain kinds prefixed 「重大」 / "Serious"), its first bad sequence
 *     number in .alert__seq; button 「対応済みにする（<terminal>、<kind>）」 /
 *     "Close alert (<terminal>, <kind>)" (starts with 「対応済みにする」 / "Close alert").
 *   - totals: region and heading 「本日の集計」 / "Today's totals"; each figure's
 *     wrapper carries data-figure (renewals, handOffs, abandoned, sessions), each
 *     reason's data-reason (its code).
 *   - chart: region, heading and role="img" 「時間帯別の更新件数」 / "Renewals by
 *     hour"; its numbers in the table 「時間帯別の更新件数（表）」 / "Renewals by
 *     hour (table)" inside a <details> 「表で見る」 / "Show as a table".
 *   - terminals: region and heading 「端末」 / "Terminals"; scrolling region
 *     「端末の一覧（横にスクロールできます）」 / "Terminal list (scrolls sideways)";
 *     table 「端末」 / "Terminals"; one row per terminal, its row header the
 *     terminal id, with data-terminal-id and data-state (up, stale, never-seen, revoked).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import type { AlertView, DashboardLanguage, Overview, SignInResponse } from '../../preload/dashboard-contract';
import { closeAlert, fetchOverview, signOut } from './api';
import { AlertsList } from './components/AlertsList';
import { DashboardHeader } from './components/DashboardHeader';
import { HourlyChart } from './components/HourlyChart';
import { Instant } from './components/Instant';
import { SignIn, type SignInNotice } from './components/SignIn';
import { TerminalsTable } from './components/TerminalsTable';
import { Totals } from './components/Totals';
import { japanTime } from './format';
import { createDashboardI18n } from './i18n';

/** How often the overview refreshes by itself. */
export const REFRESH_INTERVAL_MS = 15_000;

type View =
  | { name: 'starting' }
  | { name: 'signed-out'; notice?: SignInNotice }
  | {
      name: 'signed-in';
      account: string;
      /** The last overview received; kept when a refresh fails. */
      overview?: Overview;
      /** When the last refresh failed (this computer's clock), if it did. */
      refreshFailedAt?: Date;
    };

type ActionProblem = 'closeFailed' | 'signOutFailed';

export function App() {
  const [i18n] = useState(createDashboardI18n);
  return (
    <I18nextProvider i18n={i18n}>
      <Dashboard />
    </I18nextProvider>
  );
}

function Dashboard() {
  const { t, i18n } = useTranslation();
  const [view, setView] = useState<View>({ name: 'starting' });
  const [refreshing, setRefreshing] = useState(false);
  const [closing, setClosing] = useState<ReadonlySet<number>>(new Set());
  const [actionProblem, setActionProblem] = useState<ActionProblem>();
  const [signingOut, setSigningOut] = useState(false);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const alertsHeadingRef = useRef<HTMLHeadingElement>(null);
  /** Numbers each overview request: only the latest one's answer counts, and signing in or out makes every one in flight stale. */
  const generation = useRef(0);

  useEffect(() => {
    document.documentElement.lang = i18n.language;
    document.title = t('title');
  }, [i18n.language, t]);

  const expire = useCallback((notice?: SignInNotice) => {
    generation.current += 1;
    setView({ name: 'signed-out', notice });
    setActionProblem(undefined);
    setClosing(new Set());
  }, []);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    setRefreshing(true);
    const outcome = await fetchOverview();
    if (mine !== generation.current) return;
    setRefreshing(false);
    if (outcome.ok) {
      const overview = outcome.value;
      setView({ name: 'signed-in', account: overview.account, overview });
    } else if (outcome.problem === 'signed-out') {
      // Signed out by the server: expected on the first visit, worth saying after that.
      setView((previous) => ({ name: 'signed-out', notice: previous.name === 'signed-in' ? 'signed-out' : undefined }));
    } else {
      setView((previous) =>
        previous.name === 'signed-in'
          ? { ...previous, refreshFailedAt: new Date() }
          : { name: 'signed-out', notice: outcome.problem === 'unreachable' ? 'unreachable' : 'server-error' },
      );
    }
  }, []);

  // The first look: signed in already (the cookie), or the sign-in form.
  useEffect(() => {
    void refresh();
    return () => {
      generation.current += 1;
    };
  }, [refresh]);

  const signedIn = view.name === 'signed-in';
  useEffect(() => {
    if (!signedIn) return;
    const timer = setInterval(() => void refresh(), REFRESH_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [signedIn, refresh]);

  // A new view starts from its title, for keyboard and screen-reader users (the sign-in form focuses its own first field).
  useEffect(() => {
    if (signedIn) titleRef.current?.focus();
  }, [signedIn]);

  const onSignedIn = (response: SignInResponse) => {
    generation.current += 1;
    setView({ name: 'signed-in', account: response.account });
    void refresh();
  };

  const onSignOut = async () => {
    setSigningOut(true);
    const outcome = await signOut();
    setSigningOut(false);
    if (outcome.ok || outcome.problem === 'signed-out') expire('goodbye');
    else setActionProblem('signOutFailed');
  };

  const onClose = async (alert: AlertView) => {
    setClosing((ids) => new Set(ids).add(alert.id));
    setActionProblem(undefined);
    const outcome = await closeAlert(alert.id);
    setClosing((ids) => {
      const rest = new Set(ids);
      rest.delete(alert.id);
      return rest;
    });
    if (!outcome.ok && outcome.problem === 'signed-out') return expire('signed-out');
    // Not found: someone else closed it first; the refresh shows it gone either way.
    if (!outcome.ok && outcome.problem !== 'not-found') setActionProblem('closeFailed');
    alertsHeadingRef.current?.focus();
    await refresh();
  };

  const onLanguage = (language: DashboardLanguage) => void i18n.changeLanguage(language);

  return (
    <div className="dashboard">
      <DashboardHeader
        account={signedIn ? view.account : undefined}
        onLanguage={onLanguage}
        onSignOut={signedIn ? () => void onSignOut() : undefined}
        signingOut={signingOut}
        titleRef={titleRef}
      />
      {view.name === 'starting' && (
        <main className="dash-main">
          <p role="status">{t('overview.loading')}</p>
        </main>
      )}
      {view.name === 'signed-out' && <SignIn key={view.notice ?? 'none'} notice={view.notice} onSignedIn={onSignedIn} />}
      {view.name === 'signed-in' && (
        <main className="dash-main">
          <div className="toolbar">
            <p className="last-update">
              {t('overview.lastUpdate')} {view.overview ? <Instant value={view.overview.now} /> : t('overview.loading')}{' '}
              {t('overview.zone')}
            </p>
            <button type="button" onClick={() => void refresh()} disabled={refreshing}>
              {t('overview.refresh')}
            </button>
            <p className="toolbar__note">{t('overview.autoRefresh')}</p>
          </div>
          <div role="status" className="notices">
            {view.refreshFailedAt && (
              <p className="message message--quiet">
                {view.overview ? t('overview.refreshFailed', { time: japanTime(view.refreshFailedAt) }) : t('overview.firstLoadFailed')}
              </p>
            )}
            {actionProblem && <p className="message message--warning">{t(`overview.${actionProblem}`)}</p>}
          </div>
          {view.overview && (
            <>
              <AlertsList
                alerts={view.overview.alerts}
                closing={closing}
                onClose={(alert) => void onClose(alert)}
                headingRef={alertsHeadingRef}
              />
              <Totals totals={view.overview.totals} today={view.overview.today} />
              <HourlyChart
                today={view.overview.hourly.today}
                lastWeek={view.overview.hourly.lastWeek}
                todayDate={view.overview.today}
                lastWeekDate={view.overview.lastWeek}
              />
              <TerminalsTable
                terminals={view.overview.terminals}
                now={view.overview.now}
                staleAfterSeconds={view.overview.staleAfterSeconds}
              />
            </>
          )}
        </main>
      )}
    </div>
  );
}
