import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Language, SessionView, ViewState } from '../../../preload/contract';
import { CardInsertion } from '../components/CardInsertion';
import { Dialog } from '../components/Dialog';
import { stepMarks } from '../components/StepIndicator';
import { RENEWAL_PROGRESS_STEPS } from '../../../preload/vocabulary';
import { formatJapanDate } from '../format/dates';
import { SecureKeypad } from '../keypad/SecureKeypad';
import { phrased } from '../phrasing';
import { usePreferences } from '../preferences';
import { useSend } from '../send';
import { CompletionSlip } from '../slips/CompletionSlip';
import { EligibilitySlip } from '../slips/EligibilitySlip';
import { HandOffSlip, SlipReference } from '../slips/HandOffSlip';
import { isHandOffCode } from '../slips/slip-strings';
import { Actions, Screen } from './Screen';

export interface SessionScreenProps {
  view: ViewState;
  session: SessionView;
  /** False when the PIN is typed on the counter's customer display instead of here. */
  keypadHere: boolean;
  /** This is the counter's customer display: stopping the session is the staff's, on their window. */
  onCustomerDisplay?: boolean;
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
export function PinScreen({ view, session, keypadHere, onCustomerDisplay = false }: SessionScreenProps) {
  const { t, i18n } = useTranslation();
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
  const text = (key: string, values?: Record<string, unknown>) => phrased(t(key, values), i18n.language);
  const waysOut = (
    <>
      {!onCustomerDisplay && <StopButton />}
      {!isNew && <ForgotPinButton atCounter={view.profile === 'counter'} />}
    </>
  );
  return (
    <Screen title={title} name={session.screen} layout="pin">
      <div className="pin-info">
        {session.resumed && (
          <p className="notice" data-notice="resumed">
            {text('pin.resumed')}
          </p>
        )}
        <p className="lead">{text(`pin.what.${pin.name}`)}</p>
        {/* After a wrong entry the warning says the tries left: one box, not two saying the same. */}
        {!isNew && pin.triesLeft !== undefined && pin.lastAttempt !== 'wrong' && (
          <p className="tries" data-tries-left={pin.triesLeft}>
            {text('pin.triesLeft', { count: pin.triesLeft, max: pin.maxTries })}
          </p>
        )}
        {pin.lastAttempt && (
          <p className="warning" role="alert">
            <span aria-hidden="true">⚠ </span>
            {text(`pin.lastAttempt.${pin.lastAttempt}`, { count: pin.triesLeft ?? 0 })}
          </p>
        )}
        {!keypadHere && (
          <p className="lead" role="status">
            {text('pin.onCustomerDisplay')}
          </p>
        )}
      </div>
      {keypadHere ? (
        <SecureKeypad
          key={`${session.screen}-${pin.name}`}
          pin={pin.name}
          label={pinName}
          onSubmit={submit}
          secondaryActions={waysOut}
          shuffle={preferences.shuffleKeypad}
          audio={preferences.audio}
          {...(isNew ? { submitLabel: t('common.next') } : {})}
        />
      ) : (
        <Actions>{waysOut}</Actions>
      )}
    </Screen>
  );
}

/**
 * A button whose intent ends the visit, so it asks first: going back
 * changes nothing, confirming sends the intent. Neither spends a PIN try.
 */
function AskFirstButton({
  label,
  strings,
  intent,
}: {
  label: string;
  /** The dialog's keys: `<strings>.title`, `.lead`, `.back`, `.confirm`. */
  strings: 'forgot' | 'forgotCounter' | 'stop';
  intent: 'FORGOT_PIN' | 'CANCEL';
}) {
  const { t } = useTranslation();
  const send = useSend();
  const [asking, setAsking] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setAsking(true)}>
        {label}
      </button>
      {asking && (
        <Dialog
          title={t(`${strings}.title`)}
          onClose={() => setAsking(false)}
          closeLabel={t(`${strings}.back`)}
          actions={
            <button type="button" className="primary" onClick={() => void send({ type: 'SESSION', intent: { type: intent } })}>
              {t(`${strings}.confirm`)}
            </button>
          }
        >
          <p>{t(`${strings}.lead`)}</p>
        </Dialog>
      )}
    </>
  );
}

/**
 * "I forgot my PIN" asks first: in the lobby it ends the visit with the
 * hand-off to the window; at the counter staff check the holder's identity
 * and the PIN is set anew there.
 */
export function ForgotPinButton({ label, atCounter }: { label?: string; atCounter: boolean }) {
  const { t } = useTranslation();
  return <AskFirstButton label={label ?? t('keypad.forgot')} strings={atCounter ? 'forgotCounter' : 'forgot'} intent="FORGOT_PIN" />;
}

/** The way out of a PIN screen: it asks first, and stopping changes nothing on the card. */
export function StopButton() {
  const { t } = useTranslation();
  return <AskFirstButton label={t('stop.button')} strings="stop" intent="CANCEL" />;
}

/** At one try left the resident confirms before typing: a wrong entry now locks the PIN. */
export function LastTryScreen({ view, session, keypadHere }: SessionScreenProps) {
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
        <ForgotPinButton label={t('lastTry.help')} atCounter={view.profile === 'counter'} />
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
          <li key={step} {...stepMarks(index, current)}>
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
      <p className="note">{t('cardAway.pinsAgain')}</p>
      <CardInsertion />
    </Screen>
  );
}

/** The last row of a screen that ends the visit: "take your card" first, the slip's print button beside it. */
function TakeCardAndPrint({ view, takeCard }: { view: ViewState; takeCard: string }) {
  return (
    <Actions>
      <p className="take-card" role="status">
        <span aria-hidden="true">⬆</span>
        {takeCard}
      </p>
      <PrintButton view={view} />
    </Actions>
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
  const date = useDate(view.language);
  const renewed = session.renewed;
  return (
    <Screen title={t('done.title')} name="done">
      {renewed && (
        <dl className="expiry" aria-label={t('done.newExpiry')}>
          <div className="expiry__item">
            <dt>{t('slips.completion.authentication')}</dt>
            <dd>{date(renewed.authenticationExpires)}</dd>
          </div>
          {renewed.signatureExpires && (
            <div className="expiry__item">
              <dt>{t('slips.completion.signature')}</dt>
              <dd>{date(renewed.signatureExpires)}</dd>
            </div>
          )}
        </dl>
      )}
      <p className="lead">{t('done.lead')}</p>
      <p className="note">{t('slips.completion.reRegister')}</p>
      <CompletionSlip session={session} language={view.language} today={view.today} />
      <TakeCardAndPrint view={view} takeCard={t('done.takeCard')} />
    </Screen>
  );
}

export function HandOffScreen({ view, session }: SessionScreenProps) {
  const { t } = useTranslation();
  const code = isHandOffCode(session.handOff) ? session.handOff : 'other';
  const lockedPins = (session.lockedPins ?? []).map((pin) => t(`pin.name.${pin}`)).join(t('slips.handOff.pinSeparator'));
  return (
    <Screen title={t('handOff.title')} name="hand-off">
      <div className="hand-off">
        <dl className="hand-off__facts">
          <div>
            <dt>{t('slips.handOff.reasonHeading')}</dt>
            <dd>
              <p>{t(`slips.handOff.reasons.${code}`)}</p>
              {lockedPins && <p className="hand-off__locked">{t('slips.handOff.lockedPins', { pins: lockedPins })}</p>}
            </dd>
          </div>
          <div>
            <dt>{t('slips.handOff.bringHeading')}</dt>
            <dd>{t(`slips.handOff.bring.${code}`)}</dd>
          </div>
          <div>
            <dt>{t('slips.handOff.whereHeading')}</dt>
            <dd>{t(`slips.handOff.where.${code}`)}</dd>
          </div>
        </dl>
        <div className="hand-off__reference">
          <SlipReference t={t} reference={session.reference} {...(code !== 'other' ? { handOff: code } : {})} compact />
        </div>
      </div>
      <HandOffSlip session={session} language={view.language} today={view.today} />
      <TakeCardAndPrint view={view} takeCard={t('handOff.takeCard')} />
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
      <EligibilitySlip session={session} language={view.language} today={view.today} />
      <TakeCardAndPrint view={view} takeCard={t('notYet.takeCard')} />
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
      <EligibilitySlip session={session} language={view.language} today={view.today} />
      <TakeCardAndPrint view={view} takeCard={t('notYet.takeCard')} />
    </Screen>
  );
}
