import { useId, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertView } from '../../../preload/dashboard-contract';
import { Instant } from './Instant';

/** Audit-chain alerts (a gap, a rewrite, a rollback…) may mean tampering: they come first and stand out. */
export const isChainAlert = (kind: string) => kind.startsWith('chain-');

/** Open alerts, chain alerts first, then the most recently seen. */
export function openAlerts(alerts: readonly AlertView[]): AlertView[] {
  return alerts
    .filter((alert) => alert.closedAt === null)
    .sort(
      (a, b) =>
        Number(isChainAlert(b.kind)) - Number(isChainAlert(a.kind)) || Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt) || a.id - b.id,
    );
}

interface AlertsListProps {
  alerts: readonly AlertView[];
  /** Alerts whose close request is on its way. */
  closing: ReadonlySet<number>;
  onClose: (alert: AlertView) => void;
  /** The heading takes the focus when a closed alert's item (and its button) leaves the page. */
  headingRef?: Ref<HTMLHeadingElement>;
}

export function AlertsList({ alerts, closing, onClose, headingRef }: AlertsListProps) {
  const { t } = useTranslation();
  const headingId = useId();
  const open = openAlerts(alerts);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId} tabIndex={-1} ref={headingRef}>
        {t('alerts.heading')}
      </h2>
      {open.length === 0 ? (
        <p>{t('alerts.none')}</p>
      ) : (
        <ul className="alerts">
          {open.map((alert) => {
            const serious = isChainAlert(alert.kind);
            const kind = t(`alerts.kind.${alert.kind}`, { defaultValue: alert.kind });
            return (
              <li
                key={alert.id}
                className={serious ? 'alert alert--serious' : 'alert'}
                data-alert-kind={alert.kind}
                data-alert-id={alert.id}
              >
                <h3 className="alert__title">
                  {serious && <span className="alert__serious">{t('alerts.serious')}</span>} {kind}
                </h3>
                <dl className="alert__facts">
                  <div>
                    <dt>{t('alerts.terminal')}</dt>
                    <dd>{alert.terminalId}</dd>
                  </div>
                  {alert.firstBadSeq !== null && (
                    <div>
                      <dt>{t('alerts.firstBadSeq')}</dt>
                      <dd className="alert__seq">{alert.firstBadSeq}</dd>
                    </div>
                  )}
                  <div className="alert__message">
                    <dt>{t('alerts.message')}</dt>
                    {/* The service words its messages in English, whatever the page's language. */}
                    <dd lang="en">{alert.message}</dd>
                  </div>
                  <div>
                    <dt>{t('alerts.openedAt')}</dt>
                    <dd>
                      <Instant value={alert.openedAt} />
                    </dd>
                  </div>
                  <div>
                    <dt>{t('alerts.lastSeenAt')}</dt>
                    <dd>
                      <Instant value={alert.lastSeenAt} />
                    </dd>
                  </div>
                  <div>
                    <dt>{t('alerts.count')}</dt>
                    <dd>{alert.count}</dd>
                  </div>
                </dl>
                <button type="button" className="alert__close" disabled={closing.has(alert.id)} onClick={() => onClose(alert)}>
                  {t('alerts.close')}
                  <span className="visually-hidden">{t('alerts.closeContext', { terminal: alert.terminalId, kind })}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
