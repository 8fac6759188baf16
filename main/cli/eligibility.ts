import { parseArgs } from 'node:util';
import { PROFILES, type Profile } from '../../preload/contract';
import type { PinStatus } from '../card/jpki-client';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../simulation/personas';
import {
  decideEligibility,
  type CardFacts,
  type EligibilityDecision,
  type EligibilityInput,
  type PinName,
  type ReasonCode,
  type ResidentFacts,
  type UncheckedCheck,
} from '../domain/eligibility';
import { isJapanDate, JAPAN_ISO_OFFSET, japanDate, japanDateTime, type JapanDateTime } from '../domain/japan-calendar';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk eligibility --persona <name|path> --at <ISO date-time>
 *  [--profile lobby|counter|demo] [--offline] [--json]`
 *
 * What the eligibility rules (main/domain/eligibility.ts) decide for a
 * persona at an instant: the persona is resolved as of the Japan date of
 * --at, its card read as the terminal would read it, and the record the
 * issuing service would return for it supplied (none with --offline, as
 * when the service cannot be reached).
 */
export const ELIGIBILITY_USAGE = `eligibility --persona <name|path> --at <ISO date-time> [--profile lobby|counter|demo] [--offline] [--json]
      What the eligibility rules decide for a persona at an instant (Japan time
      when --at has no offset, e.g. 2026-01-10T19:59 or 2026-01-10T10:59Z).`;

const AT_HELP = 'an ISO 8601 date-time such as 2026-01-10T19:59 (Japan time), 2026-01-10T19:59+09:00 or 2026-01-10T10:59Z';
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,3})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;

/** Parses --at: a date and a time, with an offset or Z, or none for Japan time. */
export function parseInstant(text: string): Date {
  const match = ISO_DATE_TIME.exec(text);
  if (!match || !isJapanDate(match[1])) throw new UsageError(`--at ${JSON.stringify(text)} is not ${AT_HELP}`);
  const instant = new Date(match[5] === undefined ? `${text}${JAPAN_ISO_OFFSET}` : text);
  if (Number.isNaN(instant.getTime())) throw new UsageError(`--at ${JSON.stringify(text)} is not ${AT_HELP}`);
  return instant;
}

function pinStatus(pin: { triesLeft: number } | undefined): PinStatus {
  if (!pin) return { state: 'absent' };
  return pin.triesLeft === 0 ? { state: 'blocked' } : { state: 'available', triesLeft: pin.triesLeft };
}

/**
 * The eligibility input for a resolved persona: the card as the terminal
 * reads it (kind, authentication expiry, signature state, tries left), and
 * the record the issuing service would return for a My Number Card (date of
 * birth, card expiry, period of stay, adult ward), unless `offline`.
 */
export function eligibilityInputFromPersona(
  persona: ResolvedPersona,
  at: Date,
  profile: Profile,
  options: { offline?: boolean } = {},
): EligibilityInput {
  const authentication = persona.certificates?.authentication;
  const signature = persona.certificates?.signature;
  const pins = persona.pins ?? {};
  const card: CardFacts = {
    kind: persona.card.kind,
    ...(authentication && authentication.state !== 'absent'
      ? { authentication: { expires: authentication.expires, ...(authentication.state === 'revoked' ? { revoked: true } : {}) } }
      : {}),
    signature:
      !signature || signature.state === 'absent'
        ? { state: 'absent' }
        : { state: signature.state === 'revoked' ? 'revoked' : 'present', expires: signature.expires },
    pins: { authentication: pinStatus(pins.authentication), signature: pinStatus(pins.signature), registry: pinStatus(pins.registry) },
  };
  const known = persona.card.kind === 'my-number' || persona.card.kind === 'face-auth';
  const resident: ResidentFacts | undefined =
    known && !options.offline && persona.holder && persona.card.expires
      ? {
          dateOfBirth: persona.holder.dateOfBirth,
          cardExpires: persona.card.expires,
          ...(persona.residence ? { periodOfStayEnds: persona.residence.periodOfStayEnds } : {}),
          adultWard: persona.holder.adultWard ?? false,
        }
      : undefined;
  return { at, card, profile, ...(resident ? { resident } : {}) };
}

export async function runEligibility(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      persona: { type: 'string' },
      at: { type: 'string' },
      profile: { type: 'string', default: 'lobby' },
      offline: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.persona) throw new UsageError('eligibility needs --persona <name|path>');
  if (!values.at) throw new UsageError(`eligibility needs --at: ${AT_HELP}`);
  const at = parseInstant(values.at);
  const profile = values.profile as Profile;
  if (!PROFILES.includes(profile))
    throw new UsageError(`--profile is one of ${PROFILES.join(', ')}, not ${JSON.stringify(values.profile)}`);

  const persona = resolvePersona(loadPersona(values.persona), japanDate(at));
  const input = eligibilityInputFromPersona(persona, at, profile, { offline: values.offline });
  const decision = decideEligibility(input);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ persona: persona.id, at: at.toISOString(), japanTime: japanDateTime(at), profile, decision })}\n`,
    );
  } else {
    process.stdout.write(describeDecision(decision, { persona: persona.id, at, profile }));
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Plain English for people at a terminal (the screens have their own translations).

const REASON_TEXT: Record<ReasonCode, string> = {
  'not-a-my-number-card': 'The card is not a My Number Card: it cannot be used here.',
  'juki-card': 'The card is an old resident-registry card (Juki card): a My Number Card is needed.',
  smartphone: 'This is a smartphone, not a card: smartphone certificates are renewed in the JPKI app.',
  'unrecognised-card': 'The card has a JPKI application of a kind this terminal does not know: staff check it.',
  'no-valid-authentication-certificate': 'The card has no valid authentication certificate: a new one is issued at the window.',
  'face-auth-card': 'Face-authentication card: no PINs and no signature certificate; only staff can renew it.',
  'window-not-open': 'The certificates are not yet inside their renewal window.',
  'inside-window': 'The certificates are inside their renewal window: renewal runs to the 6th birthday after today.',
  'certificate-expired': 'The certificates have expired: they are issued anew, valid to the 5th birthday after today.',
  'card-expired': 'The card itself has expired.',
  'card-expires-before-certificates': 'The card itself expires before the certificates.',
  'card-expires-with-certificates': 'The card itself expires on the same day as the certificates.',
  'card-expires-soon-after-certificates': 'The card itself expires so soon after the certificates that renewing them gains little.',
  'period-of-stay-ends-card': 'The card ends with the period of stay: bring the new residence card to the window.',
  'capped-by-card-expiry': 'The new certificates end with the card.',
  'capped-by-period-of-stay': 'The new certificates end with the period of stay.',
  'signature-renewed': 'The signature certificate is renewed too.',
  'signature-reissued-after-revocation': 'The signature certificate was revoked (after a move or a name change): a new one is issued.',
  'signature-revoked': 'The signature certificate was revoked (after a move or a name change).',
  'signature-absent': 'There is no signature certificate on the card: only the authentication certificate is renewed.',
  'signature-not-issued-under-15': 'No signature certificate is issued to a holder under 15.',
  'signature-not-issued-adult-ward': 'No signature certificate is issued to an adult ward.',
  'legal-representative-required': 'The legal representative acts for the holder: a counter procedure.',
  'pin-locked': 'A PIN needed for renewal is locked: it is reset at the window after an identity check.',
  'maintenance-sunday': 'The national systems are down for maintenance today (the Sunday after the third Saturday).',
  'announced-outage': 'The national systems are down today (announced outage).',
  'before-hours': 'The national systems are not open yet today.',
  'after-hours': 'Communication with the national systems has ended for today.',
  'too-close-to-cutoff': 'It is too close to the cut-off to begin a renewal.',
  'gateway-down': 'The issuing service cannot be reached.',
};

const UNCHECKED_TEXT: Record<UncheckedCheck, string> = {
  'card-expiry': "the card's own expiry",
  'period-of-stay': 'the period of stay',
  'under-15': 'the under-15 rule',
  'adult-ward': 'the adult-ward rule',
  'new-expiry': 'the new expiry dates',
};

const HAND_OFF_TEXT: Record<Extract<EligibilityDecision, { outcome: 'hand-off' }>['reason'], string> = {
  'not-a-my-number-card': 'not a My Number Card',
  'juki-card': 'old Juki card',
  smartphone: 'smartphone',
  'unrecognised-card': 'unrecognised card',
  'no-valid-authentication-certificate': 'no valid authentication certificate',
  'period-of-stay': 'the period of stay must be extended first',
  'face-auth-staff-only': 'face-authentication card, staff only',
  'legal-representative-required': 'legal representative, counter procedure',
  'pin-locked': 'PIN locked',
  'service-unavailable': 'issuing service unavailable',
};

const PIN_TEXT: Record<PinName, string> = {
  authentication: 'authentication PIN',
  signature: 'signature password',
  registry: 'registry PIN',
};

const when = ({ date, time }: JapanDateTime) => `${date} ${time}`;

/** The decision in plain English, one fact a line. */
export function describeDecision(decision: EligibilityDecision, context: { persona: string; at: Date; profile: Profile }): string {
  const lines = [
    `${context.persona} at ${when(japanDateTime(context.at))} Japan time (${context.at.toISOString()}), ${context.profile} profile`,
  ];
  const expiries = (newExpiry: { authentication: string; signature?: string }) =>
    `new expiry: authentication ${newExpiry.authentication}${newExpiry.signature ? `, signature ${newExpiry.signature}` : ''}`;
  switch (decision.outcome) {
    case 'renew':
      lines.push(
        `Decision: renew the authentication certificate${decision.certificates.signature ? ' and the signature certificate' : ' only'} ` +
          `(${decision.mode === 'in-window' ? 'inside the window' : 'new issue after expiry'})`,
        `  ${expiries(decision.newExpiry)}`,
      );
      if (decision.pinsToReset.length > 0) lines.push(`  reset first: ${decision.pinsToReset.map((pin) => PIN_TEXT[pin]).join(', ')}`);
      break;
    case 'not-yet':
      lines.push(`Decision: not yet — renewal opens on ${decision.opensOn} (the certificates expire on ${decision.expiresOn})`);
      break;
    case 'card-renewal-needed':
      lines.push(
        `Decision: a new card is needed, not certificate renewal — the card expires on ${decision.cardExpires}`,
        `  card renewal ${decision.cardRenewalOpensOn <= japanDate(context.at) ? 'is open' : `opens on ${decision.cardRenewalOpensOn}`} ` +
          '(application ID or QR code on the card expiry notice)',
      );
      break;
    case 'hand-off':
      lines.push(`Decision: hand off — ${HAND_OFF_TEXT[decision.reason]}`);
      if (decision.reason === 'service-unavailable')
        lines.push(`  ${decision.which}${decision.nextOpening ? `; next opening ${when(decision.nextOpening)}` : ''}`);
      if (decision.reason === 'pin-locked') lines.push(`  locked: ${decision.pins.map((pin) => PIN_TEXT[pin]).join(', ')}`);
      if (decision.reason === 'period-of-stay') lines.push(`  the card expires on ${decision.cardExpires}`);
      if ('window' in decision) {
        const { opensOn, expiresOn } = decision.window;
        lines.push(
          `  ${decision.mode === 'in-window' ? `inside the window (${opensOn} to ${expiresOn})` : `expired on ${expiresOn}: new issue`}`,
        );
        if (decision.terms) {
          const which = decision.terms.certificates.signature ? ' and signature' : ' only';
          lines.push(`  would renew: authentication${which}; ${expiries(decision.terms.newExpiry)}`);
        }
      }
      break;
  }
  lines.push('Why:', ...decision.reasons.map((reason) => `  - ${REASON_TEXT[reason]}`));
  if (decision.unchecked.length > 0)
    lines.push(`Not checked (needs the issuing service): ${decision.unchecked.map((check) => UNCHECKED_TEXT[check]).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
