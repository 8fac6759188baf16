import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pinFormatProblem } from '../domain/pin-rules';
import { addDays, addMonths, addYears, ageOn, isJapanDate, japanInstant, nthBirthdayAfter, todayInJapan } from '../domain/japan-calendar';
import { describeIssues, readJsonFile } from '../base/validation';
import { cardKindSchema } from './card/card-image';
import { REVOCATION_REASONS } from './jlis/ca';

/**
 * Personas: the residents whose virtual cards the emulator runs, one JSON
 * file each in `personas/`. Each one stages a case of docs/domain.md for
 * tests and for the trainer's persona picker.
 *
 * Dates are absolute (`2026-04-10`) or relative to today in Japan time
 * (`today`, `today+2m`, `today-5y+2m-1d`), so that "inside the renewal
 * window" stays true whatever day the catalogue is used. `resolvePersona`
 * turns a persona into one with absolute dates only.
 *
 * Everything in a persona is fictitious: the names and addresses are sample
 * ones (見本 = "sample", 試験 = "test") and the My Numbers are made up (they
 * only satisfy the check-digit rule).
 */

// ---------------------------------------------------------------------------
// Dates: calendar days in Japan time, and the relative grammar. The date
// arithmetic and the validity rules are the domain's
// (main/domain/japan-calendar.ts, main/domain/eligibility.ts): one
// implementation each.

const RELATIVE = /^today((?:[+-]\d{1,4}[ymd])*)$/;
const STEP = /([+-])(\d{1,4})([ymd])/g;

export const DATE_SPEC_HELP = 'a date: YYYY-MM-DD, or relative to today in Japan time like today, today+2m, today-5y+2m-1d';

function mustBeDate(text: string, what: string): string {
  if (!isJapanDate(text)) throw new PersonaError(`${what} is not a YYYY-MM-DD date: ${JSON.stringify(text)}`);
  return text;
}

export function isDateSpec(text: string): boolean {
  return isJapanDate(text) || RELATIVE.test(text);
}

/**
 * An absolute date, or `today` followed by steps applied left to right:
 * `today-5y+2m-1d` is five years back, then two months on, then a day back.
 * Years and months clamp to the month's end (29 February − 1y = 28 February).
 */
export function resolveDate(spec: string, today: string): string {
  if (isJapanDate(spec)) return spec;
  const match = RELATIVE.exec(spec);
  if (!match) throw new PersonaError(`${JSON.stringify(spec)} is not ${DATE_SPEC_HELP}`);
  let day = mustBeDate(today, 'today');
  for (const [, sign, amount, unit] of (match[1] ?? '').matchAll(STEP)) {
    const n = Number(amount) * (sign === '-' ? -1 : 1);
    day = unit === 'd' ? addDays(day, n) : unit === 'y' ? addYears(day, n) : addMonths(day, n);
  }
  return day;
}

// ---------------------------------------------------------------------------
// My Number check digit.

/**
 * The check digit of a 12-digit My Number (個人番号の検査用数字): with P(n)
 * the n-th of the first eleven digits counted from the right, and Q(n) = n+1
 * for n ≤ 6, n−5 for n ≥ 7, r = Σ P(n)·Q(n) mod 11; the check digit is 0
 * when r ≤ 1, else 11 − r.
 */
export function myNumberCheckDigit(firstEleven: string): number {
  if (!/^\d{11}$/.test(firstEleven)) throw new PersonaError('a My Number body is 11 digits');
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = Number(firstEleven[11 - n]);
    sum += p * (n <= 6 ? n + 1 : n - 5);
  }
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

export function isValidMyNumber(value: string): boolean {
  return /^\d{12}$/.test(value) && myNumberCheckDigit(value.slice(0, 11)) === Number(value[11]);
}

// ---------------------------------------------------------------------------
// The schema.

const dateSpec = z.string().refine(isDateSpec, { message: DATE_SPEC_HELP });
const oneLine = z.string().regex(/^[^\r\n]+$/, 'one non-empty line');
const localized = z.object({ ja: oneLine, en: oneLine }).strict();

const fourDigitPin = z
  .object({
    value: z
      .string()
      .refine((value) => pinFormatProblem('registry', value) === undefined, { message: 'a 4-digit PIN is exactly 4 digits' }),
    triesLeft: z.number().int().min(0).max(3),
  })
  .strict();

const signaturePassword = z
  .object({
    value: z.string().refine((value) => pinFormatProblem('signature', value) === undefined, {
      message: 'the signature password is 6–16 of A–Z and 0–9, with at least one letter and one digit',
    }),
    triesLeft: z.number().int().min(0).max(5),
  })
  .strict();

const holderSchema = z
  .object({
    /** Surname, full-width space, given name, as in the resident register. */
    name: oneLine,
    /**
     * The name as the signature certificate holds it, when the register's
     * name has characters the certificate cannot hold (代替文字): one
     * substitute per replaced character, so the same number of characters.
     */
    nameAlternate: oneLine.optional(),
    /** Full Japanese address from the prefecture, no postcode. */
    address: oneLine,
    /** Like `nameAlternate`, for the address. */
    addressAlternate: oneLine.optional(),
    prefecture: z.string().regex(/^.+[都道府県]$/, 'a prefecture, ending in 都, 道, 府 or 県'),
    municipality: oneLine,
    dateOfBirth: dateSpec,
    /** 1 male, 2 female, 9 not applicable (ISO 5218). */
    sex: z.union([z.literal(1), z.literal(2), z.literal(9)]),
    /**
     * 成年被後見人: the register says the holder is under guardianship, so the
     * issuing service issues no signature certificate as a rule. Known only
     * to the issuing service (the chip does not say it); default false.
     */
    adultWard: z.boolean().optional(),
  })
  .strict()
  .superRefine((holder, context) => {
    if (!holder.address.startsWith(holder.prefecture + holder.municipality)) {
      context.addIssue({ code: 'custom', path: ['address'], message: 'the address starts with the prefecture, then the municipality' });
    }
    for (const [field, original, alternate] of [
      ['nameAlternate', holder.name, holder.nameAlternate],
      ['addressAlternate', holder.address, holder.addressAlternate],
    ] as const) {
      if (alternate !== undefined && [...alternate].length !== [...original].length) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: 'one substitute per replaced character: the same number of characters as the original',
        });
      }
    }
  });

const issuedTo = z
  .object({ address: oneLine, prefecture: z.string().regex(/^.+[都道府県]$/), municipality: oneLine })
  .strict()
  .refine((place) => place.address.startsWith(place.prefecture + place.municipality), {
    message: 'the address starts with the prefecture, then the municipality',
    path: ['address'],
  });

const presentCertificate = { issued: dateSpec, expires: dateSpec };

function certificateSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.discriminatedUnion('state', [
    z.object({ state: z.literal('valid'), ...presentCertificate, ...extra }).strict(),
    z
      .object({
        state: z.literal('revoked'),
        ...presentCertificate,
        revokedReason: z.enum(REVOCATION_REASONS).optional(),
        /** Defaults to the day the persona is resolved. */
        revokedOn: dateSpec.optional(),
        ...extra,
      })
      .strict(),
    z.object({ state: z.literal('absent') }).strict(),
  ]);
}

const DEFAULT_ATR = '3BE000FF8131FE4514';

export const personaSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'kebab-case: lower-case letters and digits joined by single hyphens'),
    title: localized,
    description: localized,
    holder: holderSchema.optional(),
    card: z
      .object({
        kind: cardKindSchema,
        /** The card's own expiry; not needed for a card that is not a My Number Card. */
        expires: dateSpec.optional(),
        atr: z
          .string()
          .regex(/^([0-9A-Fa-f]{2})+$/, 'hex bytes')
          .transform((atr) => atr.toUpperCase())
          .default(DEFAULT_ATR),
      })
      .strict(),
    /** Foreign residents: the card ends with the period of stay. */
    residence: z
      .object({
        nationality: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, e.g. PH'),
        periodOfStayEnds: dateSpec,
      })
      .strict()
      .optional(),
    certificates: z
      .object({
        authentication: certificateSchema({}),
        /** The signature certificate may carry the locality it was issued with, when the holder has moved since. */
        signature: certificateSchema({ issuedTo: issuedTo.optional() }),
      })
      .strict()
      .optional(),
    pins: z
      .object({
        authentication: fourDigitPin.optional(),
        signature: signaturePassword.optional(),
        registry: fourDigitPin.optional(),
        cardInfo: fourDigitPin.optional(),
      })
      .strict()
      .optional(),
    /**
     * Fictitious: made-up numbers that only satisfy the check-digit rule
     * (so code that validates them accepts them), never taken from a card.
     * Every persona has its own. Absent on cards without a card-info AP.
     */
    myNumber: z
      .string()
      .regex(/^\d{12}$/, '12 digits')
      .refine(isValidMyNumber, { message: 'the check digit (12th digit) is wrong' })
      .optional(),
    /** Why this persona exists: the case it stages. */
    notes: z.string().min(1),
  })
  .strict()
  .superRefine((persona, context) => {
    const problem = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
    const { kind } = persona.card;
    if (kind === 'not-my-number') {
      for (const field of ['holder', 'certificates', 'pins', 'myNumber', 'residence'] as const) {
        if (persona[field] !== undefined) problem([field], 'a card that is not a My Number Card has no JPKI data: remove it');
      }
      return;
    }
    if (!persona.holder) problem(['holder'], `required for a ${kind} card`);
    if (!persona.certificates) problem(['certificates'], `required for a ${kind} card`);
    if (!persona.card.expires) problem(['card', 'expires'], `required for a ${kind} card`);
    const onCard = (slot: 'authentication' | 'signature') =>
      persona.certificates !== undefined && persona.certificates[slot].state !== 'absent';
    const pins = persona.pins ?? {};
    if (kind === 'juki') {
      if (persona.myNumber !== undefined) problem(['myNumber'], 'an old 住基カード has no My Number');
    } else if (persona.myNumber === undefined) {
      problem(['myNumber'], `required for a ${kind} card`);
    }
    if (kind === 'face-auth') {
      if (onCard('signature'))
        problem(['certificates', 'signature', 'state'], 'a face-authentication card has no signature certificate: "absent"');
      for (const pin of Object.keys(pins)) problem(['pins', pin], 'a face-authentication card has no PINs');
      return;
    }
    if (!pins.registry) problem(['pins', 'registry'], `required for a ${kind} card`);
    if (kind === 'my-number' && !pins.cardInfo) problem(['pins', 'cardInfo'], 'required for a My Number Card');
    if (kind === 'juki' && pins.cardInfo) problem(['pins', 'cardInfo'], 'an old 住基カード has no card-info AP');
    if (onCard('authentication') && !pins.authentication)
      problem(['pins', 'authentication'], 'required when an authentication certificate is on the card');
    if (onCard('signature') && !pins.signature) problem(['pins', 'signature'], 'required when a signature certificate is on the card');
  });

export type Persona = z.output<typeof personaSchema>;
export type PersonaInput = z.input<typeof personaSchema>;
/** A persona whose dates are all absolute, as of `resolvedOn` (the Japan date it was resolved for). */
export type ResolvedPersona = Persona & { readonly resolvedOn: string };

/**
 * When a persona's revoked certificate was revoked: at 09:00 in Japan on the
 * date the persona gives (its own day when it gives none). The CA that
 * builds the card and the issuing service that enrols it record the same
 * instant.
 */
export function revocationInstant(persona: ResolvedPersona, certificate: { revokedOn?: string }): Date {
  return japanInstant(certificate.revokedOn ?? persona.resolvedOn, '09:00');
}

export class PersonaError extends Error {
  override readonly name = 'PersonaError';
}

/** Validates a parsed persona file; the error names the source and each bad field. */
export function parsePersona(input: unknown, source = 'persona'): Persona {
  const parsed = personaSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new PersonaError(`${source} is invalid — ${describeIssues(parsed.error)}`);
}

/** The persona with every date made absolute, as seen on `today` (YYYY-MM-DD, Japan). */
export function resolvePersona(persona: Persona, today: string = todayInJapan()): ResolvedPersona {
  mustBeDate(today, 'today');
  const at = (spec: string) => resolveDate(spec, today);
  const certificate = <C extends NonNullable<Persona['certificates']>['signature']>(value: C): C => {
    if (value.state === 'absent') return value;
    const resolved = { ...value, issued: at(value.issued), expires: at(value.expires) };
    if (value.state === 'revoked') return { ...resolved, revokedOn: at(value.revokedOn ?? 'today') } as C;
    return resolved as C;
  };
  return {
    ...persona,
    resolvedOn: today,
    holder: persona.holder && { ...persona.holder, dateOfBirth: at(persona.holder.dateOfBirth) },
    card: { ...persona.card, expires: persona.card.expires && at(persona.card.expires) },
    residence: persona.residence && { ...persona.residence, periodOfStayEnds: at(persona.residence.periodOfStayEnds) },
    certificates: persona.certificates && {
      authentication: certificate(persona.certificates.authentication),
      signature: certificate(persona.certificates.signature),
    },
  };
}

/**
 * How a resolved persona breaks the validity rules of docs/domain.md (empty
 * when it is coherent). Not enforced when loading — a trainer may stage an
 * incoherent card on purpose — but the catalogue is tested against it.
 */
export function personaProblems(persona: ResolvedPersona): string[] {
  const problems: string[] = [];
  const { holder, certificates, card, residence } = persona;
  const cardExpires = card.expires;
  if (!holder || !certificates || !cardExpires) return problems;
  const today = persona.resolvedOn;
  const auth = certificates.authentication.state === 'absent' ? undefined : certificates.authentication;
  const sig = certificates.signature.state === 'absent' ? undefined : certificates.signature;
  if (holder.dateOfBirth > today) problems.push('holder.dateOfBirth is in the future');
  if (residence && cardExpires > residence.periodOfStayEnds)
    problems.push("card.expires: a foreign resident's card ends no later than the period of stay");
  for (const [slot, cert] of [
    ['authentication', auth],
    ['signature', sig],
  ] as const) {
    if (!cert) continue;
    const where = `certificates.${slot}`;
    if (cert.issued > today) problems.push(`${where}.issued is in the future`);
    if (cert.expires <= cert.issued) problems.push(`${where}.expires is not after issued`);
    if (cert.issued < holder.dateOfBirth) problems.push(`${where}.issued is before the holder was born`);
    if (cert.expires > cardExpires) problems.push(`${where}.expires: a certificate never outlives the card (${cardExpires})`);
    const revokedOn = cert.state === 'revoked' ? (cert.revokedOn ?? today) : undefined;
    if (revokedOn !== undefined && (revokedOn < cert.issued || revokedOn > today))
      problems.push(`${where}.revokedOn is not between issued and today`);
    if (card.kind === 'juki') continue; // 住基カード-era certificates ran for three years.
    const fifth = nthBirthdayAfter(holder.dateOfBirth, cert.issued, 5);
    const sixth = nthBirthdayAfter(holder.dateOfBirth, cert.issued, 6);
    const allowed = [fifth, sixth].map((date) => (date < cardExpires ? date : cardExpires));
    if (!allowed.includes(cert.expires)) {
      problems.push(
        `${where}.expires should be the 5th birthday after issue (${allowed[0]}), ` +
          `or the 6th when renewed in the window (${allowed[1]}), capped by the card`,
      );
    }
  }
  if (auth && sig && sig.expires > auth.expires)
    problems.push('certificates.signature.expires: the signature certificate never outlives the authentication one');
  if (sig && ageOn(holder.dateOfBirth, sig.issued) < 15)
    problems.push('certificates.signature: no signature certificate is issued under 15');
  return problems;
}

// ---------------------------------------------------------------------------
// The catalogue.

export interface CatalogueOptions {
  /** The folder of persona files; default $MYNA_KIOSK_PERSONAS_DIR, else `personas/` beside this module (or the bundle). */
  dir?: string;
}

export const PERSONAS_DIR_ENV = 'MYNA_KIOSK_PERSONAS_DIR';

/**
 * The catalogue folder. From the source tree it is `personas/` beside this
 * file. In a bundle it must be copied to `out/main/personas/`: this module
 * then runs from `out/main/` or, when the bundler puts it in a shared chunk,
 * from `out/main/chunks/`, so the parent folder is tried second.
 */
export function personasDir(options: CatalogueOptions = {}): string {
  const fromEnv = process.env[PERSONAS_DIR_ENV];
  if (options.dir) return resolve(options.dir);
  if (fromEnv) return resolve(fromEnv);
  const candidates = [new URL('./personas/', import.meta.url), new URL('../personas/', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((dir) => existsSync(dir)) ?? (candidates[0] as string);
}

/** Reads and validates one persona file; errors name the file and the field. */
export function loadPersonaFile(path: string): Persona {
  return parsePersona(
    readJsonFile(path, (message) => new PersonaError(message)),
    path,
  );
}

/** Every persona in the catalogue, validated, sorted by id. A file whose id is not its name is an error. */
export function listPersonas(options: CatalogueOptions = {}): Persona[] {
  const dir = personasDir(options);
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  } catch (error) {
    throw new PersonaError(`the persona catalogue ${dir} cannot be read: ${(error as Error).message}`);
  }
  return files
    .map((file) => {
      const path = join(dir, file);
      const persona = loadPersonaFile(path);
      if (persona.id !== basename(file, '.json'))
        throw new PersonaError(`${path} is invalid — id: "${persona.id}" must match the file name`);
      return persona;
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** A persona by catalogue id (`standard-in-window`) or by file path (anything with a slash or ending in .json). */
export function loadPersona(nameOrPath: string, options: CatalogueOptions = {}): Persona {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\') || isAbsolute(nameOrPath);
  if (isPath) return loadPersonaFile(resolve(nameOrPath));
  const dir = personasDir(options);
  const path = join(dir, `${nameOrPath}.json`);
  if (!/^[a-z0-9-]+$/.test(nameOrPath) || !existsSync(path)) {
    const known = existsSync(dir)
      ? readdirSync(dir)
          .filter((file) => file.endsWith('.json'))
          .map((file) => basename(file, '.json'))
      : [];
    throw new PersonaError(`no persona "${nameOrPath}" in ${dir}${known.length ? ` (known: ${known.sort().join(', ')})` : ''}`);
  }
  const persona = loadPersonaFile(path);
  if (persona.id !== nameOrPath) throw new PersonaError(`${path} is invalid — id: "${persona.id}" must match the file name`);
  return persona;
}
