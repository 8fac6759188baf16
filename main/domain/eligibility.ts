import type { Profile } from '../../preload/contract';
import type { CardKind } from '../../preload/vocabulary';
import type { PinId, PinStatus } from './pin-rules';
import {
  CalendarError,
  DEFAULT_SERVICE_HOURS,
  addMonths,
  ageOn,
  compareDates,
  dayAfter,
  japanDate,
  laterDate,
  nthBirthdayAfter,
  nthBirthdayOnOrAfter,
  serviceStatusAt,
  type JapanDate,
  type JapanDateTime,
  type ServiceClosure,
  type ServiceHours,
  type ServiceStatus,
} from './japan-calendar';

/**
 * The eligibility rules: given what the card shows, what the issuing service
 * knows about the holder (when it can be reached), the terminal profile and
 * the instant, may the certificates be renewed here and now, and if not,
 * why not and what next. Every rule cites its section of docs/domain.md.
 *
 * Pure: no I/O, no clock (the instant is an input), no time-zone dependence.
 * The decision is a closed union of plain data (JSON-safe, for the session,
 * the screens and the CLI) carrying machine-readable codes that the screens
 * translate, dates, and nothing personal: never a name, an address, a date
 * of birth, an age or a My Number.
 */

// ---------------------------------------------------------------------------
// Rules as functions.

/** Renewal opens the day after (expiry − 3 months) and runs up to and including the expiry date. */
export interface RenewalWindow {
  opensOn: JapanDate;
  expiresOn: JapanDate;
}

/**
 * docs/domain.md, "Validity and the renewal window", Window and Month ends:
 * renewal is possible from the day after (expiry − 3 months) up to and
 * including the expiry date; "expiry − 3 months" on a day the earlier month
 * does not have is clamped to that month's last day. 2026-04-10 → from
 * 2026-01-11; 2026-05-31 → 2026-02-28 → from 2026-03-01.
 */
export function renewalWindow(expiresOn: JapanDate): RenewalWindow {
  return { opensOn: dayAfter(addMonths(expiresOn, -3)), expiresOn };
}

/** The first day of the renewal window (`renewalWindow(expiresOn).opensOn`; docs/domain.md, "Window"). */
export function renewalWindowOpens(expiresOn: JapanDate): JapanDate {
  return renewalWindow(expiresOn).opensOn;
}

/** Where a day falls relative to a certificate's renewal window. */
export type WindowPosition = 'before-window' | 'in-window' | 'expired';

/**
 * docs/domain.md, "Window" and "After expiry": before the window nothing can
 * be done; inside it the certificate is renewed; after the expiry date (the
 * last valid day) it can be issued anew at any time.
 */
export function windowPosition(expiresOn: JapanDate, on: JapanDate): WindowPosition {
  if (compareDates(on, expiresOn) > 0) return 'expired';
  return compareDates(on, renewalWindow(expiresOn).opensOn) < 0 ? 'before-window' : 'in-window';
}

export interface NewExpiryInput {
  dateOfBirth: JapanDate;
  /** The Japan date of the renewal or new issue. */
  renewedOn: JapanDate;
  /** The expiry of the certificate being replaced; decides `insideWindow` when that is not given. */
  currentExpiry?: JapanDate;
  /** Renewed inside the window; when both this and `currentExpiry` are given they must agree. */
  insideWindow?: boolean;
  /** The card's own expiry. */
  cardExpires: JapanDate;
  /** Foreign residents whose card ends with the period of stay. */
  periodOfStayEnds?: JapanDate;
  /** For the signature certificate: the (new) authentication certificate's expiry, which it never outlives. */
  authenticationExpires?: JapanDate;
}

export type ExpiryCap = 'period-of-stay' | 'card-expiry' | 'authentication-expiry';

export interface NewExpiry {
  expiresOn: JapanDate;
  /** The birthday the validity rule gives before any cap. */
  uncapped: JapanDate;
  rule: 'sixth-birthday-in-window' | 'fifth-birthday-after-issue';
  /** What cut the validity short, if anything (the first that binds, in the order period of stay, card, authentication certificate). */
  cappedBy?: ExpiryCap;
}

/**
 * docs/domain.md, "The rules" table and "Counting birthdays":
 * - renewed inside the window: the 6th birthday after the renewal date, a
 *   birthday on the renewal date itself counting as the first (so renewing
 *   on the expiry day, a birthday, gives old expiry + 5 birthdays, not 6);
 * - otherwise (new issue after expiry): the 5th birthday strictly after the
 *   issue date;
 * - capped by the end of the period of stay, by the card's expiry and, for
 *   the signature certificate, by the authentication certificate's expiry
 *   ("the signature certificate never outlives the authentication
 *   certificate").
 * Birthdays are `birthdayIn` ones: 29 February falls on 28 February in
 * common years.
 */
export function newCertificateExpiry(input: NewExpiryInput): NewExpiry {
  const fromCurrent = input.currentExpiry === undefined ? undefined : windowPosition(input.currentExpiry, input.renewedOn) === 'in-window';
  if (input.insideWindow !== undefined && fromCurrent !== undefined && input.insideWindow !== fromCurrent) {
    throw new CalendarError(
      `renewal on ${input.renewedOn} is ${fromCurrent ? '' : 'not '}inside the window of a certificate expiring ${input.currentExpiry}, ` +
        'but insideWindow says otherwise',
    );
  }
  const inside = input.insideWindow ?? fromCurrent ?? false;
  const uncapped = inside
    ? nthBirthdayOnOrAfter(input.dateOfBirth, input.renewedOn, 6)
    : nthBirthdayAfter(input.dateOfBirth, input.renewedOn, 5);
  const result: NewExpiry = { expiresOn: uncapped, uncapped, rule: inside ? 'sixth-birthday-in-window' : 'fifth-birthday-after-issue' };
  const caps: [ExpiryCap, JapanDate | undefined][] = [
    ['period-of-stay', input.periodOfStayEnds],
    ['card-expiry', input.cardExpires],
    ['authentication-expiry', input.authenticationExpires],
  ];
  for (const [cap, date] of caps) {
    if (date !== undefined && compareDates(date, result.expiresOn) < 0) {
      result.expiresOn = date;
      result.cappedBy = cap;
    }
  }
  return result;
}

/** The certificates a renewal replaces, by their holder's record: every date a Japan calendar date. */
export interface CertificateSetExpiryInput {
  dateOfBirth: JapanDate;
  renewedOn: JapanDate;
  /**
   * The last valid day of each certificate being replaced; absent for one
   * with no valid certificate (none on the card, or revoked after a move),
   * which is then issued anew (5th birthday).
   */
  currentExpiry: { authentication?: JapanDate; signature?: JapanDate };
  cardExpires: JapanDate;
  periodOfStayEnds?: JapanDate;
}

/**
 * The validity of a new pair (docs/domain.md, "Validity and the renewal
 * window"): each certificate by its own window, both capped by the card and
 * the period of stay, and the signature certificate never past the new
 * authentication certificate. The eligibility decision promises these dates;
 * the issuing service issues them.
 */
export function newCertificateSetExpiry(input: CertificateSetExpiryInput): { authentication: NewExpiry; signature: NewExpiry } {
  const common = {
    dateOfBirth: input.dateOfBirth,
    renewedOn: input.renewedOn,
    cardExpires: input.cardExpires,
    periodOfStayEnds: input.periodOfStayEnds,
  };
  const authentication = newCertificateExpiry({ ...common, currentExpiry: input.currentExpiry.authentication });
  const signature = newCertificateExpiry({
    ...common,
    currentExpiry: input.currentExpiry.signature,
    authenticationExpires: authentication.expiresOn,
  });
  return { authentication, signature };
}

export type SignatureRule = { issued: true } | { issued: false; reason: 'under-15' | 'adult-ward' };

/**
 * docs/domain.md, "What is renewed" (Issued to under-15s and adult wards:
 * "no, as a rule"): no signature certificate for a holder under 15 on the
 * day of issue (legal age, see `ageOn`: 15 from the 15th birthday itself),
 * nor for an adult ward (成年被後見人). The authentication certificate is
 * issued to both, with the legal representative setting the PIN.
 */
export function signatureCertificateRule(holder: { dateOfBirth: JapanDate; on: JapanDate; adultWard: boolean }): SignatureRule {
  if (ageOn(holder.dateOfBirth, holder.on) < 15) return { issued: false, reason: 'under-15' };
  if (holder.adultWard) return { issued: false, reason: 'adult-ward' };
  return { issued: true };
}

export type ProxyFormValidity = { valid: true } | { valid: false; reason: 'form-expired' | 'form-dated-after-visit' };

/**
 * docs/domain.md, "Voluntary proxy", Rejected, and the form's note (4): the
 * inquiry-and-reply form is valid up to and including the certificate's
 * expiry date; after it the proxy cannot complete the renewal with it. A
 * delegation dated after the day it is brought cannot have been signed
 * before the visit, so it is refused too.
 */
export function proxyFormValid(input: { formDate: JapanDate; certificateExpiry: JapanDate; on: JapanDate }): ProxyFormValidity {
  if (compareDates(input.on, input.certificateExpiry) > 0) return { valid: false, reason: 'form-expired' };
  if (compareDates(input.formDate, input.on) > 0) return { valid: false, reason: 'form-dated-after-visit' };
  return { valid: true };
}

// ---------------------------------------------------------------------------
// Configuration.

export interface EligibilityOptions {
  /** When issuing may begin (docs/domain.md, "When the issuing service is available"). */
  serviceHours: ServiceHours;
  /**
   * docs/domain.md, "Card renewal versus certificate renewal": no certificate
   * renewal on a card that expires with or before the certificates "or so
   * soon after that the renewed certificates would gain little (the margin
   * is configuration)". Our default: 3 months, the length of the card's own
   * renewal window, so a card sent to the card route is one whose own
   * renewal is (or is about to be) open. 0 refuses only a card that expires
   * with or before the certificates.
   */
  cardMarginMonths: number;
  /**
   * Whether the national systems' schedule applies. Default: yes, except in
   * the demo profile, whose issuing service is the always-on simulated one
   * (a trainer stages an outage as a fault instead).
   */
  applyServiceHours?: boolean;
}

export const DEFAULT_ELIGIBILITY_OPTIONS: EligibilityOptions = Object.freeze({ serviceHours: DEFAULT_SERVICE_HOURS, cardMarginMonths: 3 });

// ---------------------------------------------------------------------------
// The decision.

/** The PINs the rules ask about: the kiosk never asks for the card-info PIN. */
export type PinName = Exclude<PinId, 'cardInfo'>;

/** What the terminal read from the card, with no PIN asked. */
export interface CardFacts {
  kind: CardKind;
  /**
   * The authentication certificate's expiry (Japan date of its notAfter);
   * absent when the card has none. `revoked` from the issuing service.
   */
  authentication?: { expires: JapanDate; revoked?: boolean };
  /**
   * The signature certificate. Its expiry is readable only after the
   * password, so it may be unknown; `revoked` (after a move, say) only the
   * issuing service knows — the card still looks as before.
   */
  signature: { state: 'present'; expires?: JapanDate } | { state: 'revoked'; expires?: JapanDate } | { state: 'absent' };
  /** Tries-left states (`CardStatus['pins']`); a blocked PIN needs a reset first. */
  pins?: Partial<Record<PinName, PinStatus>>;
}

/** What the rules need from the issuing service's record of the holder (its `ResidentRecord` carries these). */
export interface ResidentFacts {
  dateOfBirth: JapanDate;
  /** The card's own expiry (not on the chip). */
  cardExpires: JapanDate;
  /** Foreign residents whose card ends with the period of stay. */
  periodOfStayEnds?: JapanDate;
  /** No signature certificate as a rule (adult ward); under-15 follows from the date of birth. */
  adultWard: boolean;
}

export interface EligibilityInput {
  /** The instant of the decision; its Japan date is "today". */
  at: Date;
  card: CardFacts;
  /** From the issuing service; absent when it cannot be reached. */
  resident?: ResidentFacts;
  profile: Profile;
  options?: Partial<EligibilityOptions>;
}

/** Checks that need the issuing service's record and so could not be made without it. */
export const UNCHECKED_CHECKS = ['card-expiry', 'period-of-stay', 'under-15', 'adult-ward', 'new-expiry'] as const;
export type UncheckedCheck = (typeof UNCHECKED_CHECKS)[number];

/** Every machine-readable reason a decision can give (the screens translate them). */
export const REASON_CODES = [
  // The card.
  'not-a-my-number-card',
  'juki-card',
  'smartphone',
  'unrecognised-card',
  'no-valid-authentication-certificate',
  'face-auth-card',
  // The window.
  'window-not-open',
  'inside-window',
  'certificate-expired',
  // The card's own expiry and the period of stay.
  'card-expired',
  'card-expires-before-certificates',
  'card-expires-with-certificates',
  'card-expires-soon-after-certificates',
  'period-of-stay-ends-card',
  // The new validity.
  'capped-by-card-expiry',
  'capped-by-period-of-stay',
  // The signature certificate.
  'signature-renewed',
  'signature-reissued-after-revocation',
  'signature-revoked',
  'signature-absent',
  'signature-not-issued-under-15',
  'signature-not-issued-adult-ward',
  // Who must be there and what must happen first.
  'legal-representative-required',
  'pin-locked',
  // The issuing service.
  'maintenance-sunday',
  'announced-outage',
  'before-hours',
  'after-hours',
  'too-close-to-cutoff',
  'gateway-down',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export type RenewalMode = 'in-window' | 'after-expiry';

/** What a renewal here would issue, once the holder's record is known. */
export interface RenewalTerms {
  certificates: { authentication: true; signature: boolean };
  newExpiry: { authentication: JapanDate; signature?: JapanDate };
}

interface Explained {
  /** Every code that bears on the decision, in the order the rules found them; the primary one is among them. */
  reasons: ReasonCode[];
  /** What could not be checked without the issuing service (empty when it answered). */
  unchecked: UncheckedCheck[];
}

export type RenewDecision = Explained &
  RenewalTerms & {
    outcome: 'renew';
    mode: RenewalMode;
    window: RenewalWindow;
    /** Counter profile: PINs staff reset (after an identity check) before renewing. Empty otherwise. */
    pinsToReset: PinName[];
  };

export type NotYetDecision = Explained & { outcome: 'not-yet'; opensOn: JapanDate; expiresOn: JapanDate };

export type CardRenewalDecision = Explained & {
  outcome: 'card-renewal-needed';
  why: 'card-expired' | 'card-expires-before-certificates' | 'card-expires-with-certificates' | 'card-expires-soon-after-certificates';
  cardExpires: JapanDate;
  /** The first day the card's own renewal is open (3 months before, like the certificates'); may be past. */
  cardRenewalOpensOn: JapanDate;
};

/** The renewal as far as it could be worked out before the hand-off. */
interface Provisional {
  mode: RenewalMode;
  window: RenewalWindow;
  /** Present when the holder's record was available. */
  terms?: RenewalTerms;
}

export type HandOffReason = HandOffDecision['reason'];

export type HandOffDecision = Explained & { outcome: 'hand-off' } & (
    | { reason: 'not-a-my-number-card' | 'juki-card' | 'smartphone' | 'unrecognised-card' | 'no-valid-authentication-certificate' }
    | { reason: 'period-of-stay'; cardExpires: JapanDate }
    | ({ reason: 'face-auth-staff-only' | 'legal-representative-required' } & Provisional)
    | ({ reason: 'pin-locked'; pins: PinName[] } & Provisional)
    | ({ reason: 'service-unavailable'; which: ServiceClosure | 'gateway-down'; nextOpening?: JapanDateTime } & Provisional)
  );

export type EligibilityDecision = RenewDecision | NotYetDecision | CardRenewalDecision | HandOffDecision;

const CARD_KIND_HAND_OFF: Partial<Record<CardKind, 'not-a-my-number-card' | 'juki-card' | 'smartphone' | 'unrecognised-card'>> = {
  'not-my-number': 'not-a-my-number-card',
  juki: 'juki-card',
  phone: 'smartphone',
  'unknown-token': 'unrecognised-card',
};

/**
 * docs/domain.md, "When the issuing service is available": not on the
 * maintenance Sunday (the Sunday after the third Saturday), not on an
 * announced outage day, and only before the 20:00 cut-off (less the
 * configured margin) and from the opening hour (08:30 by default, our
 * assumption). `nextOpening` says when to come back.
 */
export function serviceAvailability(at: Date, hours: ServiceHours = DEFAULT_ELIGIBILITY_OPTIONS.serviceHours): ServiceStatus {
  return serviceStatusAt(at, hours);
}

/**
 * docs/domain.md, "Card renewal versus certificate renewal" and "Edge
 * cases": the card route instead of certificate renewal when the card (or,
 * for a foreign resident, the period of stay it is bound to) ends before,
 * with, or within the margin after the certificates. "The certificates"
 * means the current expiry, or today for certificates already expired (a new
 * issue would run from today).
 */
function cardCap(resident: ResidentFacts, certificateExpires: JapanDate, today: JapanDate, marginMonths: number) {
  const stay = resident.periodOfStayEnds;
  const stayBinds = stay !== undefined && compareDates(stay, resident.cardExpires) <= 0;
  const cardEnds = stayBinds ? stay : resident.cardExpires;
  const reference = laterDate(certificateExpires, today);
  let why: CardRenewalDecision['why'] | undefined;
  if (compareDates(cardEnds, today) < 0) why = 'card-expired';
  else if (compareDates(cardEnds, certificateExpires) < 0) why = 'card-expires-before-certificates';
  else if (compareDates(cardEnds, certificateExpires) === 0) why = 'card-expires-with-certificates';
  else if (compareDates(cardEnds, addMonths(reference, marginMonths)) <= 0) why = 'card-expires-soon-after-certificates';
  return why === undefined ? undefined : { why, cardEnds, stayBinds };
}

/**
 * Decides whether the certificates on this card can be renewed here at
 * `at`, in this order (each step is a rule of docs/domain.md):
 *
 * 1. The card ("Edge cases"): not a My Number Card, an old Juki card, a
 *    smartphone, or an unrecognised token → hand-off; no valid
 *    authentication certificate → hand-off (new issue is a window matter).
 * 2. The card's own expiry, when the record is known ("Card renewal versus
 *    certificate renewal"): card ends before/with/soon after the
 *    certificates → `card-renewal-needed`; when it is the period of stay
 *    that ends it → hand-off `period-of-stay` (bring the new residence card).
 * 3. The window ("Validity and the renewal window"): before it → `not-yet`
 *    with the opening date; inside → renewal (6th birthday); after expiry →
 *    new issue (5th birthday), capped by card and period of stay.
 * 4. The signature certificate ("What is renewed"): renewed when on the card
 *    by its own window; re-issued when revoked after a move (a new issue:
 *    5th birthday, never past the authentication certificate); not issued
 *    to under-15s or adult wards; not added when absent; never on a
 *    face-authentication card.
 * 5. Staff-only cases in the lobby and demo profiles ("Routes"): face-
 *    authentication card, legal representative (under 15, adult ward), a
 *    blocked PIN → hand-off. At the counter staff do them: renew, with the
 *    PINs to reset listed.
 * 6. The issuing service ("When the issuing service is available"): closed
 *    by the schedule, or unreachable (`resident` absent) → hand-off
 *    `service-unavailable` with everything decided offline; the checks that
 *    need the record are listed in `unchecked`.
 */
export function decideEligibility(input: EligibilityInput): EligibilityDecision {
  const { card, resident, profile } = input;
  const options: EligibilityOptions = { ...DEFAULT_ELIGIBILITY_OPTIONS, ...input.options };
  if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) throw new CalendarError('at is not a valid instant');
  const today = japanDate(input.at);

  // 1. The card.
  const unusable = CARD_KIND_HAND_OFF[card.kind];
  if (unusable) return { outcome: 'hand-off', reason: unusable, reasons: [unusable], unchecked: [] };
  if (!card.authentication || card.authentication.revoked) {
    return {
      outcome: 'hand-off',
      reason: 'no-valid-authentication-certificate',
      reasons: ['no-valid-authentication-certificate'],
      unchecked: [],
    };
  }
  const faceAuth = card.kind === 'face-auth';
  const expiresOn = card.authentication.expires;
  const window = renewalWindow(expiresOn);
  const position = windowPosition(expiresOn, today);
  const reasons: ReasonCode[] = faceAuth ? ['face-auth-card'] : [];

  // 2. The card's own expiry, and the period of stay it may be bound to.
  if (resident) {
    const cap = cardCap(resident, expiresOn, today, options.cardMarginMonths);
    if (cap?.stayBinds) {
      return {
        outcome: 'hand-off',
        reason: 'period-of-stay',
        cardExpires: cap.cardEnds,
        reasons: [...reasons, cap.why, 'period-of-stay-ends-card'],
        unchecked: [],
      };
    }
    if (cap) {
      return {
        outcome: 'card-renewal-needed',
        why: cap.why,
        cardExpires: cap.cardEnds,
        cardRenewalOpensOn: renewalWindowOpens(cap.cardEnds),
        reasons: [...reasons, cap.why],
        unchecked: [],
      };
    }
  }

  // 3. The window.
  const signatureRevoked = card.signature.state === 'revoked';
  if (position === 'before-window') {
    return {
      outcome: 'not-yet',
      opensOn: window.opensOn,
      expiresOn,
      reasons: [...reasons, 'window-not-open', ...(signatureRevoked ? (['signature-revoked'] as const) : [])],
      unchecked: resident ? [] : ['card-expiry', 'period-of-stay'],
    };
  }
  const mode: RenewalMode = position === 'expired' ? 'after-expiry' : 'in-window';
  reasons.push(mode === 'after-expiry' ? 'certificate-expired' : 'inside-window');
  const unchecked: UncheckedCheck[] = resident ? [] : [...UNCHECKED_CHECKS];

  // 4. The signature certificate, and whether a legal representative acts.
  let signature: boolean;
  let legalRepresentative = false;
  const rule = resident && signatureCertificateRule({ dateOfBirth: resident.dateOfBirth, on: today, adultWard: resident.adultWard });
  if (rule && !rule.issued) {
    signature = false;
    legalRepresentative = true;
    reasons.push(rule.reason === 'under-15' ? 'signature-not-issued-under-15' : 'signature-not-issued-adult-ward');
  } else if (faceAuth || card.signature.state === 'absent') {
    signature = false;
    if (!faceAuth) reasons.push('signature-absent');
  } else {
    // Offline this is provisional: the record may still rule it out.
    signature = true;
    if (resident) reasons.push(signatureRevoked ? 'signature-reissued-after-revocation' : 'signature-renewed');
    else if (signatureRevoked) reasons.push('signature-revoked');
  }
  if (legalRepresentative) reasons.push('legal-representative-required');

  let terms: RenewalTerms | undefined;
  if (resident) {
    // The signature certificate is renewed by its own window: one revoked after a move is issued anew (5th birthday).
    // Its expiry is readable only after the password; unread, it is taken to be the authentication one's (issued together).
    const expiry = newCertificateSetExpiry({
      dateOfBirth: resident.dateOfBirth,
      renewedOn: today,
      currentExpiry: {
        authentication: expiresOn,
        ...(card.signature.state === 'present' ? { signature: card.signature.expires ?? expiresOn } : {}),
      },
      cardExpires: resident.cardExpires,
      periodOfStayEnds: resident.periodOfStayEnds,
    });
    if (expiry.authentication.cappedBy === 'period-of-stay') reasons.push('capped-by-period-of-stay');
    if (expiry.authentication.cappedBy === 'card-expiry') reasons.push('capped-by-card-expiry');
    terms = {
      certificates: { authentication: true, signature },
      newExpiry: {
        authentication: expiry.authentication.expiresOn,
        ...(signature ? { signature: expiry.signature.expiresOn } : {}),
      },
    };
  }
  const provisional: Provisional = { mode, window, ...(terms ? { terms } : {}) };

  // PINs: registry and authentication always, the signature password when that certificate is renewed. A face-authentication card has none.
  const needed: PinName[] = faceAuth ? [] : ['registry', 'authentication', ...(signature ? (['signature'] as const) : [])];
  const locked = needed.filter((pin) => card.pins?.[pin]?.state === 'blocked');
  if (locked.length > 0) reasons.push('pin-locked');

  // The schedule, known offline; noted even when a staff hand-off comes first.
  const applySchedule = options.applyServiceHours ?? profile !== 'demo';
  const service = applySchedule ? serviceStatusAt(input.at, options.serviceHours) : undefined;
  if (service && !service.available) reasons.push(service.reason);
  if (!resident && service?.available !== false) reasons.push('gateway-down');

  // 5. Staff-only cases, in the profiles without staff at the terminal.
  if (profile !== 'counter') {
    if (faceAuth) return { outcome: 'hand-off', reason: 'face-auth-staff-only', ...provisional, reasons, unchecked };
    if (legalRepresentative) return { outcome: 'hand-off', reason: 'legal-representative-required', ...provisional, reasons, unchecked };
    if (locked.length > 0) return { outcome: 'hand-off', reason: 'pin-locked', pins: locked, ...provisional, reasons, unchecked };
  }

  // 6. The issuing service.
  if (service && !service.available) {
    return {
      outcome: 'hand-off',
      reason: 'service-unavailable',
      which: service.reason,
      nextOpening: service.nextOpening,
      ...provisional,
      reasons,
      unchecked,
    };
  }
  if (!terms) return { outcome: 'hand-off', reason: 'service-unavailable', which: 'gateway-down', ...provisional, reasons, unchecked };

  // Outside the counter a locked PIN has handed off above: only the counter gets here with PINs to reset.
  return { outcome: 'renew', mode, window, ...terms, pinsToReset: locked, reasons, unchecked };
}
