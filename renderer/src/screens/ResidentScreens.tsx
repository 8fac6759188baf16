import { useTranslation } from 'react-i18next';
import type { Language, SessionView, ViewState } from '../../../preload/contract';
import { RENEWAL_PROGRESS_STEPS } from '../../../preload/vocabulary';
import { formatJapanDate } from '../format/dates';
import { SecureKeypad } from '../keypad/SecureKeypad';
import { usePreferences } from '../preferences';
import { useSend } from '../send';
import { CompletionSlip } from '../slips/CompletionSlip';
import { HandOffSlip } from '../slips/HandOffSlip';
import { Actions, Screen } from './Screen';

export interface SessionScreenProps {
  view: ViewState;
  session: SessionView;
  /** False when the PIN is typed on the counter's customer display instead of here. */
  keypadHere: boolean;
}

const useDate = (language: Language) => (isoDate: string) => formatJapanDate(isoDate, language);

export function BusyScreen({ session }: { session: SessionView }) {
  const { t } = useTranslation();
  return (
    <Screen title={t(`busy.${session.screen}.title`)} name={session.screen} busy>
      <p className="lead" role="status">
        {t(`busy.${session.screen}.lead`)}
      </p>
      <p className="warning">
        <span aria-hidden="true">⚠ </span>
        {t('busy.keepCard')}
      </p>
    </Screen>
  );
}

/** What expires when, in plain words: the certificates, the card itself, and what happens next. */
export function StatusScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const date = useDate(view.language);
  const eligibility = session.eligibility;
  const serviceClosed = eligibility?.outcome === 'hand-off';
  return (
    <Screen title={t('status.title')} name="status">
      <dl className="facts">
        {session.card?.authenticationExpires && (
          <>
            <dt>{t('status.authenticationExpires')}</dt>
            <dd>{date(session.card.authenticationExpires)}</dd>
          </>
        )}
        <dt>{t('status.signature')}</dt>
        <dd>{session.card?.signatureCertificate ? t('status.signaturePresent') : t('status.signatureAbsent')}</dd>
        {eligibility?.newExpiry && (
          <>
            <dt>{t('status.newAuthentication')}</dt>
            <dd>{date(eligibility.newExpiry.authentication)}</dd>
            {eligibility.newExpiry.signature && (
              <>
                <dt>{t('status.newSignature')}</dt>
                <dd>{date(eligibility.newExpiry.signature)}</dd>
              </>
            )}
          </>
        )}
      </dl>
      <p className="note">{t('status.cardVersusCertificates')}</p>
      {serviceClosed ? <p className="warning">{t('status.serviceClosed')}</p> : <p className="lead">{t('status.next')}</p>}
      <Actions>
        <button type="button" className="primary" onClick={() => void send({ type: 'SESSION', intent: { type: 'CONTINUE' } })}>
          {t('status.continue')}
        </button>
        <CancelButton />
      </Actions>
    </Screen>
  );
}

export function CancelButton() {
  const { t } = useTranslation();
  const send = useSend();
  return (
    <button type="button" onClick={() => void send({ type: 'SESSION', intent: { type: 'CANCEL' } })}>
      {t('common.cancel')}
    </button>
  );
}

/** One PIN per screen; the tries left are shown before anything is typed. */
export function PinScreen({ session, keypadHere }: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const preferences = usePreferences();
  const pin = session.pin;
  if (!pin || pin.name === 'cardInfo') return null;
  const isNew = session.screen === 'new-pin' || session.screen === 'new-pin-again';
  const pinName = t(`pin.name.${pin.name}`);
  const title =
    session.screen === 'new-pin'
      ? t('pin.newTitle', { pin: pinName })
      : session.screen === 'new-pin-again'
        ? t('pin.newAgainTitle', { pin: pinName })
        : t('pin.title', { pin: pinName });
  const submit = (value: string) => {
    const type =
      session.screen === 'new-pin' ? 'SUBMIT_NEW_PIN' : session.screen === 'new-pin-again' ? 'SUBMIT_NEW_PIN_AGAIN' : 'SUBMIT_PIN';
    void send({ type: 'SESSION', intent: { type, value } });
  };
  return (
    <Screen title={title} name={session.screen}>
      <p className="lead">{t(`pin.what.${pin.name}`)}</p>
      {!isNew && pin.triesLeft !== undefined && (
        <p className="tries" data-tries-left={pin.triesLeft}>
          {t('pin.triesLeft', { count: pin.triesLeft, max: pin.maxTries })}
        </p>
      )}
      {pin.lastAttempt && (
        <p className="warning" role="alert">
          <span aria-hidden="true">⚠ </span>
          {t(`pin.lastAttempt.${pin.lastAttempt}`, { count: pin.triesLeft ?? 0 })}
        </p>
      )}
      {keypadHere ? (
        <SecureKeypad
          key={`${session.screen}-${pin.name}`}
          pin={pin.name}
          label={pinName}
          onSubmit={submit}
          onForgot={() => void send({ type: 'SESSION', intent: { type: isNew ? 'CANCEL' : 'FORGOT_PIN' } })}
          shuffle={preferences.shuffleKeypad}
          audio={preferences.audio}
          {...(isNew ? { submitLabel: t('common.next') } : {})}
        />
      ) : (
        <p className="lead" role="status">
          {t('pin.onCustomerDisplay')}
        </p>
      )}
      {!keypadHere && (
        <Actions>
          <button type="button" onClick={() => void send({ type: 'SESSION', intent: { type: 'FORGOT_PIN' } })}>
            {t('keypad.forgot')}
          </button>
        </Actions>
      )}
    </Screen>
  );
}

/** At one try left the resident confirms before typing: a wrong entry now locks the PIN. */
export function LastTryScreen({ session, keypadHere }: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const pinName = t(`pin.name.${session.pin?.name ?? 'authentication'}`);
  return (
    <Screen title={t('lastTry.title')} name="last-try">
      <p className="warning">
        <span aria-hidden="true">⚠ </span>
        {t('lastTry.lead', { pin: pinName })}
      </p>
      {/* Whoever types the PIN confirms the last try, on their own screen: main takes it from nowhere else. */}
      {!keypadHere && (
        <p className="lead" role="status">
          {t('lastTry.onCustomerDisplay')}
        </p>
      )}
      <Actions>
        {keypadHere && (
          <button type="button" className="primary" onClick={() => void send({ type: 'SESSION', intent: { type: 'CONFIRM_LAST_TRY' } })}>
            {t('lastTry.confirm')}
          </button>
        )}
        <button type="button" onClick={() => void send({ type: 'SESSION', intent: { type: 'FORGOT_PIN' } })}>
          {t('lastTry.help')}
        </button>
      </Actions>
    </Screen>
  );
}

export function ConfirmScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const date = useDate(view.language);
  const newExpiry = session.eligibility?.newExpiry;
  return (
    <Screen title={t('confirm.title')} name="confirm">
      <p className="lead">{t('confirm.lead')}</p>
      {newExpiry && (
        <dl className="facts">
          <dt>{t('status.newAuthentication')}</dt>
          <dd>{date(newExpiry.authentication)}</dd>
          {newExpiry.signature && (
            <>
              <dt>{t('status.newSignature')}</dt>
              <dd>{date(newExpiry.signature)}</dd>
            </>
          )}
        </dl>
      )}
      <Actions>
        <button type="button" className="primary" onClick={() => void send({ type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } })}>
          {t('confirm.renew')}
        </button>
        <CancelButton />
      </Actions>
    </Screen>
  );
}

/** The named steps of the renewal; the current one is marked in words and with aria-current, not by colour. */
export function RenewingScreen({ session }: SessionScreenProps) {
  const { t } = useTranslation();
  const current = session.progress ? RENEWAL_PROGRESS_STEPS.indexOf(session.progress.step) : 0;
  return (
    <Screen title={t('renewing.title')} name="renewing" busy>
      <p className="warning">
        <span aria-hidden="true">⚠ </span>
        {t('busy.keepCard')}
      </p>
      <ol className="progress" aria-label={t('renewing.steps')}>
        {RENEWAL_PROGRESS_STEPS.map((step, index) => (
          <li
            key={step}
            aria-current={index === current ? 'step' : undefined}
            data-state={index < current ? 'done' : index === current ? 'current' : 'waiting'}
          >
            <span className="progress__mark" aria-hidden="true">
              {index < current ? '✔' : index === current ? '▶' : '・'}
            </span>
            {t(`renewing.step.${step}`)}
            <span className="visually-hidden">
              {index < current ? t('renewing.stepDone') : index === current ? t('renewing.stepNow') : ''}
            </span>
          </li>
        ))}
      </ol>
    </Screen>
  );
}

export function CardAwayScreen() {
  const { t } = useTranslation();
  return (
    <Screen title={t('cardAway.title')} name="card-away">
      <p className="lead" role="status">
        {t('cardAway.lead')}
      </p>
    </Screen>
  );
}

function PrintButton({ view }: { view: ViewState }) {
  const { t } = useTranslation();
  const send = useSend();
  const print = async () => {
    const result = await send({ type: 'PRINT_SLIP' });
    // In a browser (the web host) there is no kiosk printer: the browser's own print dialog prints the slip.
    if (result.ok && view.printer === 'browser') window.print();
  };
  return (
    <button type="button" onClick={() => void print()}>
      {t('slip.print')}
    </button>
  );
}

export function DoneScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  return (
    <Screen title={t('done.title')} name="done">
      <p className="lead">{t('done.lead')}</p>
      <CompletionSlip session={session} language={view.language} preview />
      <p className="take-card" role="status">
        <span aria-hidden="true">⬆ </span>
        {t('done.takeCard')}
      </p>
      <Actions>
        <PrintButton view={view} />
      </Actions>
    </Screen>
  );
}

export function HandOffScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  return (
    <Screen title={t('handOff.title')} name="hand-off">
      <HandOffSlip session={session} language={view.language} preview />
      <p className="take-card" role="status">
        <span aria-hidden="true">⬆ </span>
        {t('handOff.takeCard')}
      </p>
      <Actions>
        <PrintButton view={view} />
      </Actions>
    </Screen>
  );
}

export function NotYetScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  const date = useDate(view.language);
  return (
    <Screen title={t('notYet.title')} name="not-yet">
      {session.card?.authenticationExpires && (
        <p className="lead">{t('notYet.expires', { date: date(session.card.authenticationExpires) })}</p>
      )}
      {session.eligibility?.opensOn && <p className="lead">{t('notYet.opensOn', { date: date(session.eligibility.opensOn) })}</p>}
      <p className="note">{t('notYet.nothingLost')}</p>
      <p className="take-card" role="status">
        {t('handOff.takeCard')}
      </p>
    </Screen>
  );
}

export function CardRenewalScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  const date = useDate(view.language);
  return (
    <Screen title={t('cardRenewal.title')} name="card-renewal">
      {session.eligibility?.cardExpires && (
        <p className="lead">{t('cardRenewal.cardExpires', { date: date(session.eligibility.cardExpires) })}</p>
      )}
      <p className="lead">{t('cardRenewal.lead')}</p>
      <p className="note">{t('cardRenewal.how')}</p>
      <p className="take-card" role="status">
        {t('handOff.takeCard')}
      </p>
    </Screen>
  );
}
