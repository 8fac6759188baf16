import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Language, SessionView } from '../../../preload/contract';
import { formatJapanDate } from '../format/dates';
import { ReferenceQr } from './ReferenceQr';
import { HELP_LINE_NUMBERS, isHandOffCode, type HandOffCode } from './slip-strings';
import './slips.css';

/**
 * What a slip is given. Only the sanitised session view and the language:
 * the view holds no PIN, My Number, name or address that a slip would print
 * (the counter's substitute name and address are never read here), and no
 * other prop can bring one in.
 */
export interface SlipProps {
  session: SessionView;
  language: Language;
  /** The date printed on the slip: today by the kiosk's clock (the practice clock in a demo), from main. */
  today: string;
  /** Show the slip on screen too; otherwise it exists only for printing. */
  preview?: boolean;
}

/** The slip root's classes: `slip` always (what print shows), `slip--preview` when the screen shows it too. */
export function slipClassName(preview: boolean): string {
  return preview ? 'slip slip--preview' : 'slip';
}

/**
 * The slip handed to a resident this terminal cannot serve: why, what to
 * bring, where to go, and the reference (in letters and as a QR) for the
 * counter to pick the session up.
 */
export function HandOffSlip({ session, language, today, preview = false }: SlipProps) {
  // The slip is in the resident's language even if the screen around it is not.
  const { t } = useTranslation(undefined, { lng: language });
  const titleId = useId();
  const knownCode: HandOffCode | undefined = isHandOffCode(session.handOff) ? session.handOff : undefined;
  const wording = knownCode ?? 'other';
  const lockedPins = (session.lockedPins ?? []).map((pin) => t(`pin.name.${pin}`)).join(t('slips.handOff.pinSeparator'));

  return (
    <article className={slipClassName(preview)} lang={language} aria-labelledby={titleId} data-slip="hand-off">
      <h2 id={titleId} className="slip__title">
        {t('slips.handOff.title')}
      </h2>
      <p className="slip__lead">{t('slips.handOff.lead')}</p>
      <section className="slip__section">
        <h3>{t('slips.handOff.reasonHeading')}</h3>
        <p>{t(`slips.handOff.reasons.${wording}`)}</p>
        {lockedPins && <p className="slip__locked">{t('slips.handOff.lockedPins', { pins: lockedPins })}</p>}
      </section>
      <section className="slip__section">
        <h3>{t('slips.handOff.bringHeading')}</h3>
        <p>{t(`slips.handOff.bring.${wording}`)}</p>
      </section>
      <section className="slip__section">
        <h3>{t('slips.handOff.whereHeading')}</h3>
        <p>{t(`slips.handOff.where.${wording}`)}</p>
      </section>
      <SlipReference t={t} reference={session.reference} {...(knownCode ? { handOff: knownCode } : {})} />
      <HelpLines t={t} />
      <PrintedOn t={t} language={language} today={today} />
    </article>
  );
}

/** The session reference in large letters beside its QR code; `compact` is the screen's version, without the slip's note. */
export function SlipReference({
  t,
  reference,
  handOff,
  compact = false,
}: {
  t: TFunction;
  reference: string;
  handOff?: HandOffCode;
  compact?: boolean;
}) {
  const qr = <ReferenceQr reference={reference} {...(handOff ? { handOff } : {})} label={t('slips.reference.qrLabel', { reference })} />;
  if (compact)
    return (
      <>
        {qr}
        <p className="hand-off__reference-heading">{t('slips.reference.heading')}</p>
        <p className="hand-off__code">{reference}</p>
      </>
    );
  return (
    <section className="slip__reference">
      {qr}
      <div>
        <h3>{t('slips.reference.heading')}</h3>
        <p className="slip__reference-code">{reference}</p>
        <p className="slip__note">{t('slips.reference.note')}</p>
      </div>
    </section>
  );
}

/** The help lines printed on the expiry notice (docs/domain.md, "Help lines"). */
export function HelpLines({ t }: { t: TFunction }) {
  return (
    <section className="slip__section slip__help-lines">
      <h3>{t('slips.helpLines.heading')}</h3>
      <dl>
        <dt>{t('slips.helpLines.general')}</dt>
        <dd>{HELP_LINE_NUMBERS.general}</dd>
        <dt>{t('slips.helpLines.foreignLanguages')}</dt>
        <dd>{HELP_LINE_NUMBERS.foreignLanguages}</dd>
      </dl>
    </section>
  );
}

/** The day the slip was printed, as Japan counts days, by the kiosk's clock. */
export function PrintedOn({ t, language, today }: { t: TFunction; language: Language; today: string }) {
  return <p className="slip__printed-on">{t('slips.printedOn', { date: formatJapanDate(today, language) })}</p>;
}
