import { afterEach, describe, expect, it, vi } from 'vitest';
import { ELIGIBILITY_USAGE, describeDecision, parseInstant, runEligibility } from '../../main/cli/eligibility';
import { UsageError } from '../../main/cli/usage-error';
import type { ResidentRecord } from '../../main/issuance/gateway';
import {
  DEFAULT_ELIGIBILITY_OPTIONS,
  REASON_CODES,
  decideEligibility,
  newCertificateExpiry,
  proxyFormValid,
  renewalWindow,
  serviceAvailability,
  signatureCertificateRule,
  windowPosition,
  type CardFacts,
  type EligibilityDecision,
  type EligibilityInput,
  type NewExpiryInput,
  type ResidentFacts,
} from '../../main/domain/eligibility';
import { CalendarError } from '../../main/domain/japan-calendar';

// Every expected date below is worked out by hand in the comment beside it
// (birthdays counted on the calendar, weekdays from the 1st of the month),
// never with the functions under test. Instants are written with their
// offset (or Z), so the machine's time zone plays no part.

/** An instant given as Japan local time, `YYYY-MM-DDTHH:MM`. */
const jst = (local: string) => new Date(`${local}:00+09:00`);

const PINS_OK: CardFacts['pins'] = {
  authentication: { state: 'available', triesLeft: 3 },
  signature: { state: 'available', triesLeft: 5 },
  registry: { state: 'available', triesLeft: 3 },
};

/** A My Number Card whose two certificates expire on `expires`. */
function card(expires: string, extra: Partial<CardFacts> = {}): CardFacts {
  return { kind: 'my-number', authentication: { expires }, signature: { state: 'present', expires }, pins: PINS_OK, ...extra };
}

/** The docs' holder: born 1980-07-15, card good for ten more years. */
const HOLDER: ResidentFacts = { dateOfBirth: '1980-07-15', cardExpires: '2035-07-15', adultWard: false };

/** docs: certificates to 2026-04-10, window from 2026-01-11; a holder whose birthday that is. */
const APRIL = card('2026-04-10');
const APRIL_HOLDER: ResidentFacts = { dateOfBirth: '1980-04-10', cardExpires: '2035-04-10', adultWard: false };
/** docs: certificates to 2025-07-15 (the holder's birthday), window from 2025-04-16. */
const JULY = card('2025-07-15');

function decide(
  at: Date,
  cardFacts: CardFacts,
  resident: ResidentFacts | undefined,
  profile: EligibilityInput['profile'] = 'lobby',
  options?: EligibilityInput['options'],
) {
  return decideEligibility({ at, card: cardFacts, profile, ...(resident ? { resident } : {}), ...(options ? { options } : {}) });
}

// ---------------------------------------------------------------------------

describe('the renewal window', () => {
  it.each([
    ['2026-04-10', '2026-01-11'], // docs: 2026-04-10 − 3 months = 2026-01-10, the day after
    ['2026-05-31', '2026-03-01'], // docs: 2026-02-31 does not exist → 2026-02-28 → 2026-03-01
    ['2026-05-30', '2026-03-01'], // 02-30 → 02-28 → 03-01
    ['2026-05-28', '2026-03-01'], // 02-28 exists → 03-01
    ['2026-05-27', '2026-02-28'], // 02-27 → 02-28
    ['2028-05-31', '2028-03-01'], // leap year: 02-31 → 02-29 → 03-01
    ['2028-05-28', '2028-02-29'], // leap year: 02-28 → 02-29
    ['2026-03-31', '2026-01-01'], // 2025-12-31 → across the year
    ['2026-12-31', '2026-10-01'], // 09-31 → 09-30 → 10-01
    ['2026-02-28', '2025-11-29'], // docs, foreign resident: 2025-11-28 → 11-29
    ['2028-02-29', '2027-11-30'], // a leap-day expiry: 2027-11-29 → 11-30
    ['2025-07-15', '2025-04-16'], // docs, early renewal: window opened 2025-04-16
  ])('expiry %s → renewable from %s', (expiresOn, opensOn) => {
    expect(renewalWindow(expiresOn)).toEqual({ opensOn, expiresOn });
  });

  it.each([
    ['2026-01-10', 'before-window'],
    ['2026-01-11', 'in-window'],
    ['2026-04-10', 'in-window'],
    ['2026-04-11', 'expired'],
  ] as const)('expiry 2026-04-10 on %s: %s', (on, position) => {
    expect(windowPosition('2026-04-10', on)).toBe(position);
  });
});

describe('new validity', () => {
  const base = { dateOfBirth: '1980-07-15', cardExpires: '2040-01-01' };
  it.each<[string, NewExpiryInput, { expiresOn: string; uncapped?: string; rule?: string; cappedBy?: string }]>([
    // docs, early renewal: birthdays from 2025-05-01: 2025-07-15 (1st) … 2030-07-15 (6th).
    [
      'early renewal',
      { ...base, renewedOn: '2025-05-01', currentExpiry: '2025-07-15' },
      { expiresOn: '2030-07-15', rule: 'sixth-birthday-in-window' },
    ],
    // docs, renewed on the expiry day: the old expiry counts as the first of six → 2030, not 2031.
    [
      'renewed on the expiry day',
      { ...base, renewedOn: '2025-07-15', currentExpiry: '2025-07-15' },
      { expiresOn: '2030-07-15', rule: 'sixth-birthday-in-window' },
    ],
    // The day after expiry: a new issue, 5th birthday strictly after 2025-07-16: 2026 … 2030.
    [
      'the day after expiry',
      { ...base, renewedOn: '2025-07-16', currentExpiry: '2025-07-15' },
      { expiresOn: '2030-07-15', rule: 'fifth-birthday-after-issue' },
    ],
    // docs, renewed after expiry on 2025-09-01 → 2030-07-15.
    ['after expiry', { ...base, renewedOn: '2025-09-01' }, { expiresOn: '2030-07-15', rule: 'fifth-birthday-after-issue' }],
    // 5th vs 6th: a new issue on 2025-05-01 gets 2025-07-15 (1st) … 2029-07-15 (5th), a year less than the renewal.
    [
      'a new issue inside what would be the window',
      { ...base, renewedOn: '2025-05-01', insideWindow: false },
      { expiresOn: '2029-07-15', rule: 'fifth-birthday-after-issue' },
    ],
    [
      'insideWindow without a current expiry',
      { ...base, renewedOn: '2025-05-01', insideWindow: true },
      { expiresOn: '2030-07-15', rule: 'sixth-birthday-in-window' },
    ],
    // docs, cap after a move: re-issued 2022-03-10, 5th birthday 2026-07-15, card ends 2025-07-15.
    [
      'cap after a move',
      { ...base, renewedOn: '2022-03-10', cardExpires: '2025-07-15' },
      { expiresOn: '2025-07-15', uncapped: '2026-07-15', cappedBy: 'card-expiry' },
    ],
    [
      'capped by the period of stay',
      { ...base, renewedOn: '2025-05-01', currentExpiry: '2025-07-15', cardExpires: '2028-06-30', periodOfStayEnds: '2027-12-31' },
      { expiresOn: '2027-12-31', uncapped: '2030-07-15', cappedBy: 'period-of-stay' },
    ],
    [
      'period of stay and card end together: the stay is the cause',
      { ...base, renewedOn: '2025-05-01', currentExpiry: '2025-07-15', cardExpires: '2027-12-31', periodOfStayEnds: '2027-12-31' },
      { expiresOn: '2027-12-31', cappedBy: 'period-of-stay' },
    ],
    // The signature certificate never outlives the authentication one.
    [
      'signature capped by the authentication certificate',
      { ...base, renewedOn: '2022-03-10', cardExpires: '2027-01-01', authenticationExpires: '2025-07-15' },
      { expiresOn: '2025-07-15', uncapped: '2026-07-15', cappedBy: 'authentication-expiry' },
    ],
    [
      'a cap on the very birthday cuts nothing',
      { ...base, renewedOn: '2025-05-01', currentExpiry: '2025-07-15', cardExpires: '2030-07-15' },
      { expiresOn: '2030-07-15', uncapped: '2030-07-15' },
    ],
    // 29 February, in the window: from 2025-02-28: 2025-02-28 (1), 2026, 2027, 2028-02-29 (4), 2029, 2030-02-28 (6).
    [
      '29 February, renewed on its expiry 28 February',
      { ...base, dateOfBirth: '1988-02-29', renewedOn: '2025-02-28', currentExpiry: '2025-02-28' },
      { expiresOn: '2030-02-28', rule: 'sixth-birthday-in-window' },
    ],
    [
      '29 February, renewed early',
      { ...base, dateOfBirth: '1988-02-29', renewedOn: '2024-12-15', currentExpiry: '2025-02-28' },
      { expiresOn: '2030-02-28' },
    ],
    // 29 February, new issues: after 2024-03-01: 2025-02-28 (1) … 2028-02-29 (4), 2029-02-28 (5);
    // after 2023-03-01: 2024-02-29 (1) … 2028-02-29 (5).
    [
      '29 February, new issue, ends in a common year',
      { ...base, dateOfBirth: '1988-02-29', renewedOn: '2024-03-01' },
      { expiresOn: '2029-02-28' },
    ],
    [
      '29 February, new issue, ends in a leap year',
      { ...base, dateOfBirth: '1988-02-29', renewedOn: '2023-03-01' },
      { expiresOn: '2028-02-29' },
    ],
  ])('%s', (_name, input, expected) => {
    const result = newCertificateExpiry(input);
    expect(result).toMatchObject(expected);
    if (!('cappedBy' in expected)) expect(result.cappedBy).toBeUndefined();
  });

  it('refuses insideWindow when the current expiry says otherwise', () => {
    // Window of 2025-07-15 opens 2025-04-16: 2025-04-15 is outside.
    expect(() => newCertificateExpiry({ ...base, renewedOn: '2025-04-15', currentExpiry: '2025-07-15', insideWindow: true })).toThrow(
      CalendarError,
    );
    expect(() => newCertificateExpiry({ ...base, renewedOn: '2025-05-01', currentExpiry: '2025-07-15', insideWindow: false })).toThrow(
      CalendarError,
    );
  });
});

describe('the signature rule', () => {
  it.each([
    [
      { dateOfBirth: '2011-01-20', on: '2026-01-19', adultWard: false },
      { issued: false, reason: 'under-15' },
    ], // 15th birthday tomorrow
    [{ dateOfBirth: '2011-01-20', on: '2026-01-20', adultWard: false }, { issued: true }],
    [
      { dateOfBirth: '2008-02-29', on: '2023-02-28', adultWard: false },
      { issued: false, reason: 'under-15' },
    ], // legal age: 15 from 1 March
    [{ dateOfBirth: '2008-02-29', on: '2023-03-01', adultWard: false }, { issued: true }],
    [
      { dateOfBirth: '1965-06-01', on: '2026-01-13', adultWard: true },
      { issued: false, reason: 'adult-ward' },
    ],
    [{ dateOfBirth: '1965-06-01', on: '2026-01-13', adultWard: false }, { issued: true }],
  ])('%j → %j', (holder, expected) => {
    expect(signatureCertificateRule(holder)).toEqual(expected);
  });
});

describe('the proxy inquiry-and-reply form', () => {
  it.each([
    [{ formDate: '2026-03-01', certificateExpiry: '2026-04-10', on: '2026-04-10' }, { valid: true }], // the expiry day itself
    [
      { formDate: '2026-03-01', certificateExpiry: '2026-04-10', on: '2026-04-11' },
      { valid: false, reason: 'form-expired' },
    ],
    [{ formDate: '2026-01-20', certificateExpiry: '2026-04-10', on: '2026-01-20' }, { valid: true }],
    [
      { formDate: '2026-04-05', certificateExpiry: '2026-04-10', on: '2026-04-01' },
      { valid: false, reason: 'form-dated-after-visit' },
    ],
  ])('%j → %j', (input, expected) => {
    expect(proxyFormValid(input)).toEqual(expected);
  });
});

describe('service availability', () => {
  it.each([
    ['2026-01-13T10:59:00Z', { available: true, until: { date: '2026-01-13', time: '20:00' } }], // Tuesday 19:59 Japan
    // 20:00 Japan
    ['2026-01-13T11:00:00Z', { available: false, reason: 'after-hours', nextOpening: { date: '2026-01-14', time: '08:30' } }],
    ['2026-01-18T01:00:00Z', { available: false, reason: 'maintenance-sunday', nextOpening: { date: '2026-01-19', time: '08:30' } }],
    ['2026-02-22T01:00:00Z', { available: false, reason: 'maintenance-sunday', nextOpening: { date: '2026-02-23', time: '08:30' } }],
    // The third Sunday is not the maintenance day in February 2026.
    ['2026-02-15T01:00:00Z', { available: true, until: { date: '2026-02-15', time: '20:00' } }],
  ])('at %s', (iso, expected) => {
    expect(serviceAvailability(new Date(iso))).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------

describe('decideEligibility', () => {
  type Row = [
    name: string,
    at: Date,
    card: CardFacts,
    resident: ResidentFacts | undefined,
    profile: EligibilityInput['profile'],
    expected: Partial<EligibilityDecision> & Record<string, unknown>,
  ];

  it.each<Row>([
    // The window, docs example: expiry 2026-04-10 → from 2026-01-11. Birthdays from 2026-01-11: 2026-04-10 (1) … 2031-04-10 (6).
    [
      'the day before the window',
      jst('2026-01-10T10:00'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      { outcome: 'not-yet', opensOn: '2026-01-11', expiresOn: '2026-04-10', reasons: ['window-not-open'], unchecked: [] },
    ],
    [
      'the last minute of the day before (23:59 Japan = 14:59Z)',
      new Date('2026-01-10T14:59:00Z'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      { outcome: 'not-yet', opensOn: '2026-01-11' },
    ],
    [
      'the first day of the window (a Sunday, not the maintenance one)',
      jst('2026-01-11T10:00'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      {
        outcome: 'renew',
        mode: 'in-window',
        certificates: { authentication: true, signature: true },
        newExpiry: { authentication: '2031-04-10', signature: '2031-04-10' },
        window: { opensOn: '2026-01-11', expiresOn: '2026-04-10' },
        pinsToReset: [],
        reasons: ['inside-window', 'signature-renewed'],
        unchecked: [],
      },
    ],
    // 15:00Z is midnight in Japan: the window is open but the service is not yet.
    [
      'midnight Japan time of the first day (15:00Z)',
      new Date('2026-01-10T15:00:00Z'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'service-unavailable',
        which: 'before-hours',
        nextOpening: { date: '2026-01-11', time: '08:30' },
        mode: 'in-window',
        terms: {
          certificates: { authentication: true, signature: true },
          newExpiry: { authentication: '2031-04-10', signature: '2031-04-10' },
        },
      },
    ],
    [
      'the last day of the window (the expiry day)',
      jst('2026-04-10T10:00'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      { outcome: 'renew', mode: 'in-window', newExpiry: { authentication: '2031-04-10', signature: '2031-04-10' } },
    ],
    // After expiry: 5th birthday strictly after 2026-04-11 is 2031-04-10 (the in-window rule would give 2032).
    [
      'the day after expiry: new issue',
      jst('2026-04-11T10:00'),
      APRIL,
      APRIL_HOLDER,
      'lobby',
      {
        outcome: 'renew',
        mode: 'after-expiry',
        newExpiry: { authentication: '2031-04-10', signature: '2031-04-10' },
        reasons: ['certificate-expired', 'signature-renewed'],
      },
    ],

    // Month end, docs example: expiry 2026-05-31 → window from 2026-03-01. From 2026-03-01: 2026-05-31 (1) … 2031-05-31 (6).
    [
      'month end: 2026-02-28 is before the window',
      jst('2026-02-28T10:00'),
      card('2026-05-31'),
      { dateOfBirth: '1990-05-31', cardExpires: '2036-05-31', adultWard: false },
      'lobby',
      { outcome: 'not-yet', opensOn: '2026-03-01' },
    ],
    [
      'month end: 2026-03-01 opens it',
      jst('2026-03-01T10:00'),
      card('2026-05-31'),
      { dateOfBirth: '1990-05-31', cardExpires: '2036-05-31', adultWard: false },
      'lobby',
      { outcome: 'renew', newExpiry: { authentication: '2031-05-31', signature: '2031-05-31' } },
    ],

    // docs worked examples, born 1980-07-15, certificates to 2025-07-15 (window from 2025-04-16).
    ['docs: the day before the window', jst('2025-04-15T10:00'), JULY, HOLDER, 'lobby', { outcome: 'not-yet', opensOn: '2025-04-16' }],
    [
      'docs: early renewal',
      jst('2025-05-01T10:00'),
      JULY,
      HOLDER,
      'lobby',
      { outcome: 'renew', mode: 'in-window', newExpiry: { authentication: '2030-07-15', signature: '2030-07-15' } },
    ],
    [
      'docs: renewed on the expiry day',
      jst('2025-07-15T10:00'),
      JULY,
      HOLDER,
      'lobby',
      { outcome: 'renew', mode: 'in-window', newExpiry: { authentication: '2030-07-15', signature: '2030-07-15' } },
    ],
    [
      'docs: renewed after expiry',
      jst('2025-09-01T10:00'),
      JULY,
      HOLDER,
      'lobby',
      {
        outcome: 'renew',
        mode: 'after-expiry',
        newExpiry: { authentication: '2030-07-15', signature: '2030-07-15' },
        reasons: ['certificate-expired', 'signature-renewed'],
      },
    ],

    // The card's own expiry.
    [
      'docs card cap: card and certificates end together',
      jst('2025-05-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-07-15' },
      'lobby',
      {
        outcome: 'card-renewal-needed',
        why: 'card-expires-with-certificates',
        cardExpires: '2025-07-15',
        cardRenewalOpensOn: '2025-04-16',
        reasons: ['card-expires-with-certificates'],
        unchecked: [],
      },
    ],
    [
      'card expires before the certificates',
      jst('2025-05-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-06-30' },
      'lobby',
      {
        outcome: 'card-renewal-needed',
        why: 'card-expires-before-certificates',
        cardExpires: '2025-06-30',
        cardRenewalOpensOn: '2025-03-31',
      },
    ],
    [
      'card already expired',
      jst('2025-05-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-04-30' },
      'lobby',
      { outcome: 'card-renewal-needed', why: 'card-expired' },
    ],
    // Default margin 3 months: 2025-07-15 + 3 months = 2025-10-15; a card ending on or before it gains too little.
    [
      'card expires within the margin',
      jst('2025-05-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-10-15' },
      'lobby',
      { outcome: 'card-renewal-needed', why: 'card-expires-soon-after-certificates', cardRenewalOpensOn: '2025-07-16' },
    ],
    [
      'card expires just past the margin: renew, capped by the card',
      jst('2025-05-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-10-16' },
      'lobby',
      {
        outcome: 'renew',
        newExpiry: { authentication: '2025-10-16', signature: '2025-10-16' },
        reasons: ['inside-window', 'signature-renewed', 'capped-by-card-expiry'],
      },
    ],
    // After expiry the margin counts from today: 2025-09-01 + 3 months = 2025-12-01.
    [
      'after expiry, card ends within the margin of today',
      jst('2025-09-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2025-11-01' },
      'lobby',
      { outcome: 'card-renewal-needed', why: 'card-expires-soon-after-certificates' },
    ],
    [
      'after expiry, capped by the card',
      jst('2025-09-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2026-07-01' },
      'lobby',
      { outcome: 'renew', mode: 'after-expiry', newExpiry: { authentication: '2026-07-01', signature: '2026-07-01' } },
    ],
    // The card route is said even before the certificate window opens.
    [
      'card cap before the window opens',
      jst('2025-12-01T10:00'),
      APRIL,
      { ...APRIL_HOLDER, cardExpires: '2026-04-10' },
      'lobby',
      { outcome: 'card-renewal-needed', why: 'card-expires-with-certificates', cardRenewalOpensOn: '2026-01-11' },
    ],

    // Foreign residents: docs example, period of stay, card and certificates end 2026-02-28.
    [
      'docs foreign resident: the stay ends with the certificates',
      jst('2025-12-01T10:00'),
      card('2026-02-28'),
      { dateOfBirth: '1996-09-22', cardExpires: '2026-02-28', periodOfStayEnds: '2026-02-28', adultWard: false },
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'period-of-stay',
        cardExpires: '2026-02-28',
        reasons: ['card-expires-with-certificates', 'period-of-stay-ends-card'],
        unchecked: [],
      },
    ],
    [
      'a long stay caps the new certificates',
      jst('2025-07-01T10:00'),
      JULY,
      { ...HOLDER, cardExpires: '2028-06-30', periodOfStayEnds: '2028-06-30' },
      'lobby',
      {
        outcome: 'renew',
        newExpiry: { authentication: '2028-06-30', signature: '2028-06-30' },
        reasons: ['inside-window', 'signature-renewed', 'capped-by-period-of-stay'],
      },
    ],
    [
      'a stay ending before the card is what binds',
      jst('2025-07-01T10:00'),
      JULY,
      { ...HOLDER, periodOfStayEnds: '2025-08-01' },
      'lobby',
      { outcome: 'hand-off', reason: 'period-of-stay', cardExpires: '2025-08-01' },
    ],

    // The signature certificate. Revoked after a move: issued anew (5th birthday after 2025-05-01 = 2029-07-15),
    // never past the authentication one.
    [
      'signature revoked after a move',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { signature: { state: 'revoked', expires: '2025-07-15' } }),
      HOLDER,
      'lobby',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: true },
        newExpiry: { authentication: '2030-07-15', signature: '2029-07-15' },
        reasons: ['inside-window', 'signature-reissued-after-revocation'],
      },
    ],
    [
      'no signature certificate on the card: authentication only',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { signature: { state: 'absent' } }),
      HOLDER,
      'lobby',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        newExpiry: { authentication: '2030-07-15' },
        reasons: ['inside-window', 'signature-absent'],
      },
    ],
    // An incoherent card whose signature outlives the authentication one: in its own window it would get
    // 2031-07-15 (6th from 2025-09-01); the authentication one, expired, gets 2030-07-15.
    [
      'the signature never outlives the authentication certificate',
      jst('2025-09-01T10:00'),
      card('2025-07-15', { signature: { state: 'present', expires: '2025-09-30' } }),
      HOLDER,
      'lobby',
      {
        outcome: 'renew',
        newExpiry: { authentication: '2030-07-15', signature: '2030-07-15' },
      },
    ],

    // Under 15: born 2011-01-20, 15 on 2026-01-20. Birthdays from 2026-01-19: 2026-01-20 (1) … 2031-01-20 (6).
    [
      'under 15 in the lobby: legal representative at the counter',
      jst('2026-01-19T10:00'),
      card('2026-03-01', { signature: { state: 'absent' } }),
      { dateOfBirth: '2011-01-20', cardExpires: '2031-06-01', adultWard: false },
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'legal-representative-required',
        mode: 'in-window',
        terms: { certificates: { authentication: true, signature: false }, newExpiry: { authentication: '2031-01-20' } },
        reasons: ['inside-window', 'signature-not-issued-under-15', 'legal-representative-required'],
      },
    ],
    [
      'under 15 at the counter: authentication only',
      jst('2026-01-19T10:00'),
      card('2026-03-01', { signature: { state: 'absent' } }),
      { dateOfBirth: '2011-01-20', cardExpires: '2031-06-01', adultWard: false },
      'counter',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        newExpiry: { authentication: '2031-01-20' },
        reasons: ['inside-window', 'signature-not-issued-under-15', 'legal-representative-required'],
      },
    ],
    [
      '15 on the birthday itself: no legal representative',
      jst('2026-01-20T10:00'),
      card('2026-03-01', { signature: { state: 'absent' } }),
      { dateOfBirth: '2011-01-20', cardExpires: '2031-06-01', adultWard: false },
      'lobby',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        reasons: ['inside-window', 'signature-absent'],
      },
    ],
    // Born 2008-02-29: 15 only from 2023-03-01 (legal age), although the validity birthday of 2023 is 02-28.
    [
      '29 February holder on 28 February of the year they turn 15',
      jst('2023-02-28T10:00'),
      card('2023-04-30'),
      { dateOfBirth: '2008-02-29', cardExpires: '2033-02-28', adultWard: false },
      'counter',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        reasons: ['inside-window', 'signature-not-issued-under-15', 'legal-representative-required'],
      },
    ],
    // From 2023-03-01: 2024-02-29 (1), 2025-02-28, 2026, 2027, 2028-02-29 (5), 2029-02-28 (6).
    [
      '29 February holder on 1 March of that year',
      jst('2023-03-01T10:00'),
      card('2023-04-30'),
      { dateOfBirth: '2008-02-29', cardExpires: '2033-02-28', adultWard: false },
      'counter',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: true },
        newExpiry: { authentication: '2029-02-28', signature: '2029-02-28' },
      },
    ],

    // Adult ward: birthdays from 2026-01-13: 2026-06-01 (1) … 2031-06-01 (6).
    [
      'adult ward in the lobby',
      jst('2026-01-13T10:00'),
      card('2026-03-15', { signature: { state: 'absent' } }),
      { dateOfBirth: '1965-06-01', cardExpires: '2035-01-01', adultWard: true },
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'legal-representative-required',
        terms: { certificates: { authentication: true, signature: false }, newExpiry: { authentication: '2031-06-01' } },
        reasons: ['inside-window', 'signature-not-issued-adult-ward', 'legal-representative-required'],
      },
    ],
    [
      'adult ward with a signature certificate still on the card: not renewed',
      jst('2026-01-13T10:00'),
      card('2026-03-15'),
      { dateOfBirth: '1965-06-01', cardExpires: '2035-01-01', adultWard: true },
      'counter',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        newExpiry: { authentication: '2031-06-01' },
      },
    ],

    // Face-authentication card.
    [
      'face-auth card in the lobby',
      jst('2025-05-01T10:00'),
      { kind: 'face-auth', authentication: { expires: '2025-07-15' }, signature: { state: 'absent' } },
      HOLDER,
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'face-auth-staff-only',
        terms: { certificates: { authentication: true, signature: false }, newExpiry: { authentication: '2030-07-15' } },
        reasons: ['face-auth-card', 'inside-window'],
      },
    ],
    [
      'face-auth card in the demo',
      jst('2025-05-01T10:00'),
      { kind: 'face-auth', authentication: { expires: '2025-07-15' }, signature: { state: 'absent' } },
      HOLDER,
      'demo',
      { outcome: 'hand-off', reason: 'face-auth-staff-only' },
    ],
    [
      'face-auth card at the counter',
      jst('2025-05-01T10:00'),
      { kind: 'face-auth', authentication: { expires: '2025-07-15' }, signature: { state: 'absent' } },
      HOLDER,
      'counter',
      {
        outcome: 'renew',
        certificates: { authentication: true, signature: false },
        newExpiry: { authentication: '2030-07-15' },
        reasons: ['face-auth-card', 'inside-window'],
      },
    ],
    [
      'face-auth card before its window',
      jst('2025-04-15T10:00'),
      { kind: 'face-auth', authentication: { expires: '2025-07-15' }, signature: { state: 'absent' } },
      HOLDER,
      'lobby',
      { outcome: 'not-yet', opensOn: '2025-04-16', reasons: ['face-auth-card', 'window-not-open'] },
    ],

    // Cards that are not (usable) My Number Cards: decided from the card alone, at any hour.
    [
      'old Juki card',
      jst('2026-01-18T10:00'),
      { kind: 'juki', signature: { state: 'present', expires: '2017-01-01' } },
      undefined,
      'lobby',
      { outcome: 'hand-off', reason: 'juki-card', reasons: ['juki-card'], unchecked: [] },
    ],
    [
      'not a My Number Card',
      jst('2026-01-13T22:00'),
      { kind: 'not-my-number', signature: { state: 'absent' } },
      undefined,
      'lobby',
      { outcome: 'hand-off', reason: 'not-a-my-number-card', reasons: ['not-a-my-number-card'], unchecked: [] },
    ],
    [
      'a smartphone',
      jst('2026-01-13T10:00'),
      { kind: 'phone', authentication: { expires: '2026-03-01' }, signature: { state: 'present' } },
      HOLDER,
      'counter',
      { outcome: 'hand-off', reason: 'smartphone' },
    ],
    [
      'an unknown JPKI token',
      jst('2026-01-13T10:00'),
      { kind: 'unknown-token', authentication: { expires: '2026-03-01' }, signature: { state: 'present' } },
      HOLDER,
      'lobby',
      { outcome: 'hand-off', reason: 'unrecognised-card' },
    ],
    [
      'no authentication certificate',
      jst('2026-01-13T10:00'),
      { kind: 'my-number', signature: { state: 'absent' } },
      HOLDER,
      'lobby',
      { outcome: 'hand-off', reason: 'no-valid-authentication-certificate' },
    ],
    [
      'a revoked authentication certificate',
      jst('2026-01-13T10:00'),
      { kind: 'my-number', authentication: { expires: '2026-03-01', revoked: true }, signature: { state: 'present' } },
      HOLDER,
      'counter',
      { outcome: 'hand-off', reason: 'no-valid-authentication-certificate' },
    ],

    // Locked PINs.
    [
      'registry PIN locked in the lobby',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { pins: { ...PINS_OK, registry: { state: 'blocked' } } }),
      HOLDER,
      'lobby',
      { outcome: 'hand-off', reason: 'pin-locked', pins: ['registry'], reasons: ['inside-window', 'signature-renewed', 'pin-locked'] },
    ],
    [
      'signature password locked in the lobby',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { pins: { ...PINS_OK, signature: { state: 'blocked' } } }),
      HOLDER,
      'lobby',
      { outcome: 'hand-off', reason: 'pin-locked', pins: ['signature'] },
    ],
    [
      'a locked password of an absent certificate does not matter',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { signature: { state: 'absent' }, pins: { ...PINS_OK, signature: { state: 'blocked' } } }),
      HOLDER,
      'lobby',
      { outcome: 'renew', pinsToReset: [] },
    ],
    [
      'locked PINs at the counter: reset first',
      jst('2025-05-01T10:00'),
      card('2025-07-15', { pins: { ...PINS_OK, registry: { state: 'blocked' }, authentication: { state: 'blocked' } } }),
      HOLDER,
      'counter',
      { outcome: 'renew', pinsToReset: ['registry', 'authentication'] },
    ],

    // The issuing service's schedule. 2026-01-13 is a Tuesday; the certificates 2026-03-01 are in their window (from 2025-12-02).
    ['19:59 Japan time, from UTC', new Date('2026-01-13T10:59:00Z'), card('2026-03-01'), HOLDER, 'lobby', { outcome: 'renew' }],
    [
      '20:00 Japan time, from UTC',
      new Date('2026-01-13T11:00:00Z'),
      card('2026-03-01'),
      HOLDER,
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'service-unavailable',
        which: 'after-hours',
        nextOpening: { date: '2026-01-14', time: '08:30' },
        reasons: ['inside-window', 'signature-renewed', 'after-hours'],
      },
    ],
    [
      '20:00 with a +09:00 offset',
      new Date('2026-01-13T20:00:00+09:00'),
      card('2026-03-01'),
      HOLDER,
      'counter',
      { outcome: 'hand-off', reason: 'service-unavailable', which: 'after-hours' },
    ],
    // Birthdays from 2026-01-18 (the 2026-03-01 expiry is not a birthday): 2026-07-15 (1) … 2031-07-15 (6).
    [
      'maintenance Sunday 2026-01-18',
      jst('2026-01-18T10:00'),
      card('2026-03-01'),
      HOLDER,
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'service-unavailable',
        which: 'maintenance-sunday',
        nextOpening: { date: '2026-01-19', time: '08:30' },
        mode: 'in-window',
        terms: {
          certificates: { authentication: true, signature: true },
          newExpiry: { authentication: '2031-07-15', signature: '2031-07-15' },
        },
      },
    ],
    [
      'maintenance Sunday 2026-02-22 (not the third Sunday)',
      jst('2026-02-22T10:00'),
      card('2026-03-01'),
      HOLDER,
      'counter',
      { outcome: 'hand-off', which: 'maintenance-sunday', nextOpening: { date: '2026-02-23', time: '08:30' } },
    ],
    ['the third Sunday 2026-02-15 is an ordinary day', jst('2026-02-15T10:00'), card('2026-03-01'), HOLDER, 'lobby', { outcome: 'renew' }],
    ['the demo ignores the national schedule', jst('2026-01-18T22:00'), card('2026-03-01'), HOLDER, 'demo', { outcome: 'renew' }],
    // Expiry 2026-08-01 → window from 2026-05-02.
    [
      'not-yet is said even on the maintenance Sunday',
      jst('2026-01-18T10:00'),
      card('2026-08-01'),
      HOLDER,
      'lobby',
      { outcome: 'not-yet', opensOn: '2026-05-02', reasons: ['window-not-open'] },
    ],

    // The issuing service cannot be reached: everything offline, then hand off.
    [
      'service unreachable: hand-off with the offline findings',
      jst('2026-01-13T10:00'),
      card('2026-03-01'),
      undefined,
      'lobby',
      {
        outcome: 'hand-off',
        reason: 'service-unavailable',
        which: 'gateway-down',
        mode: 'in-window',
        window: { opensOn: '2025-12-02', expiresOn: '2026-03-01' },
        reasons: ['inside-window', 'gateway-down'],
        unchecked: ['card-expiry', 'period-of-stay', 'under-15', 'adult-ward', 'new-expiry'],
      },
    ],
    [
      'service unreachable, expired certificates',
      jst('2026-03-02T10:00'),
      card('2026-03-01'),
      undefined,
      'counter',
      { outcome: 'hand-off', reason: 'service-unavailable', which: 'gateway-down', mode: 'after-expiry' },
    ],
    [
      'service unreachable, not yet in the window',
      jst('2026-01-10T10:00'),
      APRIL,
      undefined,
      'lobby',
      { outcome: 'not-yet', opensOn: '2026-01-11', unchecked: ['card-expiry', 'period-of-stay'] },
    ],
    [
      'service unreachable, face-auth card',
      jst('2026-01-13T10:00'),
      { kind: 'face-auth', authentication: { expires: '2026-03-01' }, signature: { state: 'absent' } },
      undefined,
      'lobby',
      { outcome: 'hand-off', reason: 'face-auth-staff-only', reasons: ['face-auth-card', 'inside-window', 'gateway-down'] },
    ],
    [
      'service unreachable, a locked PIN',
      jst('2026-01-13T10:00'),
      card('2026-03-01', { pins: { ...PINS_OK, authentication: { state: 'blocked' } } }),
      undefined,
      'lobby',
      { outcome: 'hand-off', reason: 'pin-locked', pins: ['authentication'] },
    ],
    [
      'service unreachable, revoked signature noted',
      jst('2026-01-13T10:00'),
      card('2026-03-01', { signature: { state: 'revoked' } }),
      undefined,
      'lobby',
      { outcome: 'hand-off', which: 'gateway-down', reasons: ['inside-window', 'signature-revoked', 'gateway-down'] },
    ],
    [
      'service unreachable on the maintenance Sunday: the schedule is the reason',
      jst('2026-01-18T10:00'),
      card('2026-03-01'),
      undefined,
      'lobby',
      { outcome: 'hand-off', which: 'maintenance-sunday', reasons: ['inside-window', 'maintenance-sunday'] },
    ],
  ])('%s', (_name, at, cardFacts, resident, profile, expected) => {
    const decision = decide(at, cardFacts, resident, profile);
    expect(decision).toMatchObject(expected);
    if (decision.outcome === 'hand-off' && decision.reason === 'service-unavailable' && decision.which === 'gateway-down')
      expect(decision).not.toHaveProperty('nextOpening');
    if (resident === undefined && decision.outcome === 'hand-off' && 'terms' in decision) expect(decision.terms).toBeUndefined();
  });

  it('gives the same decision whatever the machine time zone', () => {
    const original = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      // 02:59 in Los Angeles in January (UTC−8) is 10:59Z, 19:59 in Japan; 03:00 is 20:00 in Japan.
      const before = new Date(2026, 0, 13, 2, 59);
      const at = new Date(2026, 0, 13, 3, 0);
      expect(before.toISOString()).toBe('2026-01-13T10:59:00.000Z');
      expect(decide(before, card('2026-03-01'), HOLDER).outcome).toBe('renew');
      expect(decide(at, card('2026-03-01'), HOLDER)).toMatchObject({ outcome: 'hand-off', which: 'after-hours' });
      // 15:00 in Los Angeles on 10 January is 2026-01-11 08:00 in Japan: the window of 2026-04-10 is open
      // (Japan date), though it is still the 10th locally.
      expect(decide(new Date(2026, 0, 10, 15, 0), APRIL, APRIL_HOLDER)).toMatchObject({
        outcome: 'hand-off',
        which: 'before-hours',
        mode: 'in-window',
      });
      expect(decide(new Date(2026, 0, 10, 15, 30), APRIL, APRIL_HOLDER)).toMatchObject({ outcome: 'renew' });
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });

  it('takes the margin and the service hours from its options', () => {
    // With no margin only a card ending on or before the certificates goes to the card route.
    expect(decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-07-16' }, 'lobby', { cardMarginMonths: 0 })).toMatchObject(
      {
        outcome: 'renew',
        newExpiry: { authentication: '2025-07-16' },
      },
    );
    expect(decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-07-15' }, 'lobby', { cardMarginMonths: 0 })).toMatchObject(
      { outcome: 'card-renewal-needed' },
    );
    expect(DEFAULT_ELIGIBILITY_OPTIONS.cardMarginMonths).toBe(3);
    const hours = { opensAt: '09:00', closesAt: '20:00', cutoffMarginMinutes: 30, closedDays: ['2026-01-14'] };
    expect(decide(jst('2026-01-13T19:29'), card('2026-03-01'), HOLDER, 'lobby', { serviceHours: hours })).toMatchObject({
      outcome: 'renew',
    });
    expect(decide(jst('2026-01-13T19:30'), card('2026-03-01'), HOLDER, 'lobby', { serviceHours: hours })).toMatchObject({
      outcome: 'hand-off',
      which: 'too-close-to-cutoff',
      nextOpening: { date: '2026-01-15', time: '09:00' },
    });
    expect(decide(jst('2026-01-18T22:00'), card('2026-03-01'), HOLDER, 'demo', { applyServiceHours: true })).toMatchObject({
      which: 'maintenance-sunday',
    });
  });

  it('accepts the issuing service record as it comes', () => {
    const record: ResidentRecord = {
      authenticationSerial: '0A1B2C',
      dateOfBirth: '1980-07-15',
      cardExpires: '2035-07-15',
      adultWard: false,
      signatureHolder: {
        name: '見本　太郎',
        address: '東京都千代田区見本町一丁目2番3号',
        prefecture: '東京都',
        municipality: '千代田区',
        sex: '1',
      },
    };
    const decision = decideEligibility({ at: jst('2025-05-01T10:00'), card: JULY, resident: record, profile: 'lobby' });
    expect(decision).toMatchObject({ outcome: 'renew', newExpiry: { authentication: '2030-07-15' } });
    // No personal data in the decision: no date of birth, name, address or serial.
    const json = JSON.stringify(decision);
    for (const personal of ['1980', '見本', '東京都', '0A1B2C']) expect(json).not.toContain(personal);
  });

  it('uses only known reason codes', () => {
    const decisions = [
      decide(jst('2025-05-01T10:00'), JULY, HOLDER),
      decide(jst('2026-01-13T10:00'), card('2026-03-01'), undefined),
      decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-07-15' }),
    ];
    for (const decision of decisions) for (const reason of decision.reasons) expect(REASON_CODES).toContain(reason);
  });

  it('refuses an invalid instant or date', () => {
    expect(() => decide(new Date('not a date'), JULY, HOLDER)).toThrow(CalendarError);
    expect(() => decide(jst('2025-05-01T10:00'), card('2025-02-30'), HOLDER)).toThrow(CalendarError);
  });
});

// ---------------------------------------------------------------------------

describe('myna-kiosk eligibility', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function run(argv: string[]): Promise<string> {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await runEligibility(argv)).toBe(0);
    return out;
  }
  const json = async (argv: string[]) =>
    JSON.parse(await run([...argv, '--json'])) as {
      persona: string;
      at: string;
      japanTime: unknown;
      profile: string;
      decision: EligibilityDecision;
    };

  // Personas are resolved as of 2026-01-13 (a Tuesday), the Japan date of --at.
  it.each<[string, string[], Record<string, unknown>]>([
    // Certificates today+60d = 2026-03-14; born 1986-03-14; card 2031-03-14. 6th birthday from 2026-01-13: 2031-03-14.
    [
      'standard-in-window',
      [],
      {
        outcome: 'renew',
        mode: 'in-window',
        certificates: { authentication: true, signature: true },
        newExpiry: { authentication: '2031-03-14', signature: '2031-03-14' },
      },
    ],
    // Expired today-30d = 2025-12-14; born 1973-12-14; card 2030-12-14. 5th birthday after 2026-01-13: 2030-12-14.
    [
      'certificates-expired',
      [],
      { outcome: 'renew', mode: 'after-expiry', newExpiry: { authentication: '2030-12-14', signature: '2030-12-14' } },
    ],
    // today+200d = 2026-08-01 → window from 2026-05-02.
    ['not-yet-in-window', [], { outcome: 'not-yet', opensOn: '2026-05-02', expiresOn: '2026-08-01' }],
    // Card and certificates today+45d = 2026-02-27.
    [
      'card-expires-with-certificates',
      [],
      { outcome: 'card-renewal-needed', why: 'card-expires-with-certificates', cardExpires: '2026-02-27' },
    ],
    ['under-15-no-signature', [], { outcome: 'card-renewal-needed', why: 'card-expires-with-certificates' }],
    ['foreign-resident-period-of-stay', [], { outcome: 'hand-off', reason: 'period-of-stay' }],
    [
      'adult-ward-no-signature',
      [],
      {
        outcome: 'hand-off',
        reason: 'legal-representative-required',
        reasons: ['inside-window', 'signature-not-issued-adult-ward', 'legal-representative-required'],
      },
    ],
    // today+70d = 2026-03-24; born 1966-03-24: 6th birthday from 2026-01-13 is 2031-03-24.
    [
      'adult-ward-no-signature',
      ['--profile', 'counter'],
      { outcome: 'renew', certificates: { authentication: true, signature: false }, newExpiry: { authentication: '2031-03-24' } },
    ],
    // Authentication today+80d = 2026-04-03, born 1990-04-03: 2031-04-03; the revoked signature is issued anew:
    // 5th birthday after 2026-01-13 = 2030-04-03.
    [
      'signature-revoked-after-move',
      [],
      {
        outcome: 'renew',
        newExpiry: { authentication: '2031-04-03', signature: '2030-04-03' },
        reasons: ['inside-window', 'signature-reissued-after-revocation'],
      },
    ],
    ['registry-pin-locked', [], { outcome: 'hand-off', reason: 'pin-locked', pins: ['registry'] }],
    ['registry-pin-locked', ['--profile', 'counter'], { outcome: 'renew', pinsToReset: ['registry'] }],
    ['juki-card', [], { outcome: 'hand-off', reason: 'juki-card' }],
    ['not-a-my-number-card', [], { outcome: 'hand-off', reason: 'not-a-my-number-card' }],
    [
      'standard-in-window',
      ['--offline'],
      {
        outcome: 'hand-off',
        reason: 'service-unavailable',
        which: 'gateway-down',
        unchecked: ['card-expiry', 'period-of-stay', 'under-15', 'adult-ward', 'new-expiry'],
      },
    ],
  ])('%s %j', async (persona, extra, expected) => {
    const result = await json(['--persona', persona, '--at', '2026-01-13T10:00', ...extra]);
    expect(result).toMatchObject({ persona, at: '2026-01-13T01:00:00.000Z', japanTime: { date: '2026-01-13', time: '10:00' } });
    expect(result.decision).toMatchObject(expected);
  });

  it('resolves the persona as of the Japan date of --at, not the UTC one', async () => {
    // 2026-01-12T15:30Z is 2026-01-13 00:30 in Japan: the persona is resolved for the 13th, and the service is not open yet.
    const result = await json(['--persona', 'standard-in-window', '--at', '2026-01-12T15:30Z']);
    expect(result.decision).toMatchObject({
      outcome: 'hand-off',
      which: 'before-hours',
      nextOpening: { date: '2026-01-13', time: '08:30' },
      window: { expiresOn: '2026-03-14' },
    });
  });

  it('prints the decision and its reasons in English by default', async () => {
    const text = await run(['--persona', 'standard-in-window', '--at', '2026-01-13T19:59+09:00']);
    expect(text).toContain('standard-in-window at 2026-01-13 19:59 Japan time (2026-01-13T10:59:00.000Z), lobby profile');
    expect(text).toContain('Decision: renew the authentication certificate and the signature certificate (inside the window)');
    expect(text).toContain('new expiry: authentication 2031-03-14, signature 2031-03-14');
    expect(text).toContain('The certificates are inside their renewal window');
    const closed = await run(['--persona', 'standard-in-window', '--at', '2026-01-18T10:00', '--offline']);
    expect(closed).toContain('Decision: hand off — issuing service unavailable');
    expect(closed).toContain('maintenance-sunday; next opening 2026-01-19 08:30');
    expect(closed).toContain("Not checked (needs the issuing service): the card's own expiry");
  });

  it('describes every outcome', () => {
    const context = { persona: 'p', at: jst('2026-01-13T10:00'), profile: 'lobby' as const };
    expect(describeDecision(decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-07-15' }), context)).toContain(
      'a new card is needed',
    );
    expect(describeDecision(decide(jst('2026-01-10T10:00'), APRIL, APRIL_HOLDER), context)).toContain(
      'not yet — renewal opens on 2026-01-11',
    );
    const locked = describeDecision(
      decide(jst('2025-05-01T10:00'), card('2025-07-15', { pins: { ...PINS_OK, registry: { state: 'blocked' } } }), HOLDER),
      context,
    );
    expect(locked).toContain('Decision: hand off — PIN locked');
    expect(locked).toContain('locked: registry PIN');
    expect(locked).toContain('would renew: authentication and signature; new expiry: authentication 2030-07-15, signature 2030-07-15');
  });

  it.each([
    [['--persona', 'standard-in-window'], /--at/],
    [['--at', '2026-01-13T10:00'], /--persona/],
    [['--persona', 'standard-in-window', '--at', 'tomorrow'], /--at "tomorrow" is not an ISO 8601 date-time/],
    [['--persona', 'standard-in-window', '--at', '2026-01-13'], /is not an ISO 8601 date-time/],
    [['--persona', 'standard-in-window', '--at', '2026-02-30T10:00'], /is not an ISO 8601 date-time/],
    [['--persona', 'standard-in-window', '--at', '2026-01-13T24:00'], /is not an ISO 8601 date-time/],
    [['--persona', 'standard-in-window', '--at', '2026-01-13T10:00', '--profile', 'kiosk'], /--profile is one of lobby, counter, demo/],
  ])('refuses %j with a usage error', async (argv, message) => {
    await expect(runEligibility(argv)).rejects.toThrow(UsageError);
    await expect(runEligibility(argv)).rejects.toThrow(message);
  });

  it('parses --at with or without an offset (none means Japan time)', () => {
    expect(parseInstant('2026-01-13T19:59').toISOString()).toBe('2026-01-13T10:59:00.000Z');
    expect(parseInstant('2026-01-13T19:59:30+09:00').toISOString()).toBe('2026-01-13T10:59:30.000Z');
    expect(parseInstant('2026-01-13T10:59Z').toISOString()).toBe('2026-01-13T10:59:00.000Z');
    expect(parseInstant('2026-01-13T05:59:00.000-05:00').toISOString()).toBe('2026-01-13T10:59:00.000Z');
    expect(ELIGIBILITY_USAGE).toContain('eligibility --persona <name|path> --at <ISO date-time>');
  });
});

// ---------------------------------------------------------------------------
// Cases mutation testing found no test for (issue 14). Dates worked out by hand as above.

describe('edges no earlier case pinned down', () => {
  // HOLDER: born 07-15. Renewing on 2025-05-01 inside the window: 6th birthday on or after it, 2030-07-15.
  // A new issue on that day: 5th birthday strictly after it (2025-07-15 is the 1st), 2029-07-15 — a year less.
  it('a signature certificate expiring apart from the authentication one is renewed by its own window', () => {
    // Signature expired 2025-04-20 (its window closed): issued anew, 2029-07-15; authentication in its window, 2030-07-15.
    const expiredApart = decide(
      jst('2025-05-01T10:00'),
      card('2025-07-15', { signature: { state: 'present', expires: '2025-04-20' } }),
      HOLDER,
    );
    expect(expiredApart).toMatchObject({ outcome: 'renew', newExpiry: { authentication: '2030-07-15', signature: '2029-07-15' } });
    // Its expiry unread (the password not yet typed): taken to be the authentication one's, so both in the window.
    const unread = decide(jst('2025-05-01T10:00'), card('2025-07-15', { signature: { state: 'present' } }), HOLDER);
    expect(unread).toMatchObject({ outcome: 'renew', newExpiry: { authentication: '2030-07-15', signature: '2030-07-15' } });
  });

  it('a period of stay ending after the card does not bind it: the card is what ends first', () => {
    // Card to 2025-09-01, within 3 months of the certificates' 2025-07-15 (to 2025-10-15): the card route.
    // Were the stay (2026-03-01) taken instead, the card would look good for long enough and the renewal go on.
    const decision = decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-09-01', periodOfStayEnds: '2026-03-01' });
    expect(decision).toMatchObject({ outcome: 'card-renewal-needed', why: 'card-expires-soon-after-certificates' });
  });

  it('a card expiring today has not expired: it ends before the certificates', () => {
    const decision = decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-05-01' });
    expect(decision).toMatchObject({ outcome: 'card-renewal-needed', why: 'card-expires-before-certificates' });
    expect(decide(jst('2025-05-01T10:00'), JULY, { ...HOLDER, cardExpires: '2025-04-30' })).toMatchObject({ why: 'card-expired' });
  });

  it('card facts without tries-left states, or with some of them, decide without throwing', () => {
    const { pins: _none, ...withoutPins } = JULY;
    expect(decide(jst('2025-05-01T10:00'), withoutPins, HOLDER)).toMatchObject({ outcome: 'renew' });
    const onlyOne = { ...JULY, pins: { signature: { state: 'blocked' as const } } };
    expect(decide(jst('2025-05-01T10:00'), onlyOne, HOLDER)).toMatchObject({
      outcome: 'hand-off',
      reason: 'pin-locked',
      pins: ['signature'],
    });
  });

  it('the demo, whose schedule is off, with the issuing service unreachable: a hand-off, not a throw', () => {
    expect(decide(jst('2025-05-01T10:00'), JULY, undefined, 'demo')).toMatchObject({
      outcome: 'hand-off',
      reason: 'service-unavailable',
      which: 'gateway-down',
      reasons: expect.arrayContaining(['gateway-down']),
    });
  });

  it('a card without a valid authentication certificate is handed off for that one reason, nothing left unchecked', () => {
    const { authentication: _none, ...without } = JULY;
    for (const cardFacts of [without, { ...JULY, authentication: { expires: '2025-07-15', revoked: true } }]) {
      expect(decide(jst('2025-05-01T10:00'), cardFacts, HOLDER)).toEqual({
        outcome: 'hand-off',
        reason: 'no-valid-authentication-certificate',
        reasons: ['no-valid-authentication-certificate'],
        unchecked: [],
      });
    }
  });

  it('an instant that is not one is refused by name', () => {
    expect(() => decide(new Date(Number.NaN), JULY, HOLDER)).toThrow(new CalendarError('at is not a valid instant'));
  });

  it('a renewal said to be inside the window when its certificate says otherwise is refused, naming both', () => {
    const input: NewExpiryInput = {
      dateOfBirth: '1980-07-15',
      renewedOn: '2025-05-01',
      currentExpiry: '2025-07-15',
      cardExpires: '2035-07-15',
    };
    expect(() => newCertificateExpiry({ ...input, insideWindow: false })).toThrow(
      'renewal on 2025-05-01 is inside the window of a certificate expiring 2025-07-15, but insideWindow says otherwise',
    );
    expect(() => newCertificateExpiry({ ...input, renewedOn: '2025-08-01', insideWindow: true })).toThrow(
      'renewal on 2025-08-01 is not inside the window of a certificate expiring 2025-07-15, but insideWindow says otherwise',
    );
    // Agreeing, or said without the certificate: no complaint.
    expect(newCertificateExpiry({ ...input, insideWindow: true }).expiresOn).toBe('2030-07-15');
    const { currentExpiry: _unknown, ...withoutCurrent } = input;
    expect(newCertificateExpiry({ ...withoutCurrent, insideWindow: false }).expiresOn).toBe('2029-07-15');
  });
});
