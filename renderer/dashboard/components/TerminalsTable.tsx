import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalView } from '../../../preload/dashboard-contract';
import { bytes, clockOffset, count, timeAgo } from '../format';
import { dashboardLanguage } from '../i18n';
import { Instant, Unknown } from './Instant';
import { handOffTotal } from './Totals';

interface TerminalsTableProps {
  terminals: readonly TerminalView[];
  /** The server's clock when it answered: "n s ago" counts from it, never from this computer's clock. */
  now: string;
  staleAfterSeconds: number;
}

const STATE_ORDER = ['up', 'stale', 'never-seen', 'revoked'] as const;
/** Health values worth a second look: shown in the warning style. */
const BAD_READER = new Set(['unavailable', 'no_reader']);

/**
 * One row per terminal, in the server's order. The table scrolls sideways
 * inside its own focusable, named region on a narrow screen, so the page
 * itself never does.
 */
export function TerminalsTable({ terminals, now, staleAfterSeconds }: TerminalsTableProps) {
  const { t, i18n } = useTranslation();
  const language = dashboardLanguage(i18n);
  const headingId = useId();
  const stateCounts = STATE_ORDER.map((state) => [state, terminals.filter((terminal) => terminal.state === state).length] as const).filter(
    ([, number]) => number > 0,
  );
  const columns = [
    'role',
    'state',
    'lastHeartbeat',
    'reader',
    'printer',
    'session',
    'lastSessionEnd',
    'clockOffset',
    'freeDisk',
    'outbox',
    'auditSeq',
    'renewals',
    'handOffs',
    'abandoned',
  ] as const;

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('terminals.heading')}</h2>
      {stateCounts.length > 0 && (
        <ul className="state-counts">
          {stateCounts.map(([state, number]) => (
            <li key={state} className={`state state--${state}`}>
              {t('terminals.stateCount', { state: t(`terminals.state.${state}`), count: number })}
            </li>
          ))}
        </ul>
      )}
      <p className="panel__note">{t('terminals.staleAfter', { seconds: staleAfterSeconds })}</p>
      {terminals.length === 0 ? (
        <p>{t('terminals.none')}</p>
      ) : (
        <div className="table-scroll" role="region" aria-label={t('terminals.scrollRegion')} tabIndex={0}>
          <table className="data-table terminals">
            <caption className="visually-hidden">{t('terminals.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('terminals.column.id')}</th>
                {columns.map((column) => (
                  <th key={column} scope="col">
                    {t(`terminals.column.${column}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {terminals.map((terminal) => {
                const health = terminal.health;
                return (
                  <tr
                    key={terminal.id}
                    className={`terminal-row terminal-row--${terminal.state}`}
                    data-terminal-id={terminal.id}
                    data-state={terminal.state}
                  >
                    <th scope="row">{terminal.id}</th>
                    <td>{t(`terminals.role.${terminal.role}`, { defaultValue: terminal.role })}</td>
                    <td>
                      <span className={`state state--${terminal.state}`}>
                        {t(`terminals.state.${terminal.state}`, { defaultValue: terminal.state })}
                      </span>
                    </td>
                    <td>
                      {terminal.lastHeartbeat === null ? (
                        <Unknown />
                      ) : (
                        <>
                          <Instant value={terminal.lastHeartbeat} />
                          <br />
                          <span className="ago">{timeAgo(terminal.lastHeartbeat, now, language)}</span>
                        </>
                      )}
                    </td>
                    {health === null ? (
                      <>
                        {Array.from({ length: 7 }, (_, index) => (
                          <td key={index}>
                            <Unknown />
                          </td>
                        ))}
                      </>
                    ) : (
                      <>
                        <td>
                          <span className={BAD_READER.has(health.reader) ? 'flag' : undefined}>
                            {t(`terminals.reader.${health.reader}`, { defaultValue: health.reader })}
                          </span>
                        </td>
                        <td>
                          <span className={health.printer === 'failed' ? 'flag' : undefined}>
                            {t(`terminals.printer.${health.printer}`, { defaultValue: health.printer })}
                          </span>
                        </td>
                        <td>{t(health.sessionInProgress ? 'terminals.session.inProgress' : 'terminals.session.idle')}</td>
                        <td>
                          {health.lastSessionEnd === null ? (
                            <Unknown />
                          ) : (
                            t(`terminals.sessionEnd.${health.lastSessionEnd}`, { defaultValue: health.lastSessionEnd })
                          )}
                        </td>
                        <td className="number">
                          {health.clockOffsetMs === null ? <Unknown /> : clockOffset(health.clockOffsetMs, language)}
                        </td>
                        <td className="number">{health.freeDiskBytes === null ? <Unknown /> : bytes(health.freeDiskBytes, language)}</td>
                        <td>
                          <span className={health.outbox.state === 'shipping' ? undefined : 'flag'}>
                            {t('terminals.outbox.value', {
                              backlog: count(health.outbox.backlog, language),
                              state: t(`terminals.outbox.state.${health.outbox.state}`, { defaultValue: health.outbox.state }),
                            })}
                          </span>
                        </td>
                      </>
                    )}
                    <td className="number">{count(terminal.auditSeq, language)}</td>
                    <td className="number">{count(terminal.today.renewals, language)}</td>
                    <td className="number">{count(handOffTotal(terminal.today), language)}</td>
                    <td className="number">{count(terminal.today.abandoned, language)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
