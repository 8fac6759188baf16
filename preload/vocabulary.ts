/**
 * The contract's vocabulary: the closed lists and patterns that main, the
 * preload and the renderer share, as plain constants. The zod schemas in
 * contract.ts are built from these; the renderer imports values only from
 * here (and types from contract.ts), so its first download carries no
 * schema library (docs/performance.md, "The resident's screens").
 */

export const PROFILES = ['lobby', 'counter', 'demo'] as const;

/**
 * The kiosk's languages (docs/experience.md, "Languages"), as BCP 47 tags:
 * Japanese, the languages of the official My Number materials, the
 * languages municipalities' residents actually read, and plain Japanese
 * (やさしい日本語) as the private-use tag `ja-x-easy`. Every string exists in
 * every one (a unit test enforces it).
 */
export const LANGUAGES = ['ja', 'ja-x-easy', 'en', 'zh-Hans', 'zh-Hant', 'ko', 'es', 'pt', 'vi', 'tl', 'id', 'th', 'ne'] as const;

/**
 * Japan Standard Time is UTC+9 all year (no daylight saving), so Japan's
 * calendar is a fixed offset away from UTC, whatever zone the machine is set
 * to. The one place the offset is written: main's calendar
 * (main/domain/japan-calendar.ts) and the renderer's slips count from it.
 */
export const JAPAN_UTC_OFFSET_HOURS = 9;

/** The calendar date in Japan (YYYY-MM-DD) at this instant. */
export function japanDate(instant: Date): string {
  return new Date(instant.getTime() + JAPAN_UTC_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 10);
}

/** What the kiosk can tell a card to be from reading it (main/card/jpki-client.ts, docs/card-protocol.md). */
export const CARD_KINDS = ['my-number', 'face-auth', 'juki', 'phone', 'unknown-token', 'not-my-number'] as const;
export type CardKind = (typeof CARD_KINDS)[number];

/** docs/domain.md, "Routes": who is at the terminal for the holder. */
export const RENEWAL_ROUTES = ['in-person', 'voluntary-proxy', 'legal-representative'] as const;
export type RenewalRoute = (typeof RENEWAL_ROUTES)[number];

/** How a customer session ended: the view shows it, the audit chain records it. */
export const SESSION_ENDS = ['renewed', 'handed-off', 'not-eligible', 'cancelled', 'timed-out', 'card-removed', 'error'] as const;
export type SessionEnd = (typeof SESSION_ENDS)[number];

/**
 * The card's PINs (docs/card-protocol.md, "PIN rules"). The kiosk asks for
 * the first three; the card-info PIN is the card's own and never asked.
 */
export const PIN_IDS = ['authentication', 'signature', 'registry', 'cardInfo'] as const;
export type PinId = (typeof PIN_IDS)[number];

export interface PinRule {
  minLength: number;
  maxLength: number;
  /** The signature password takes A–Z as well as digits, and needs at least one of each. */
  takesLetters: boolean;
}

/** The rule of each PIN: the keypad shapes itself by it, main refuses what breaks it, the virtual card applies it to new values. */
export const PIN_RULES: Readonly<Record<PinId, PinRule>> = {
  authentication: { minLength: 4, maxLength: 4, takesLetters: false },
  signature: { minLength: 6, maxLength: 16, takesLetters: true },
  registry: { minLength: 4, maxLength: 4, takesLetters: false },
  cardInfo: { minLength: 4, maxLength: 4, takesLetters: false },
};

export type PinFormatProblem = 'bad-characters' | 'wrong-length' | 'needs-letter-and-digit';

/**
 * Why the card would refuse this value without even trying it, or
 * undefined when it is well formed. A value that breaks the rule cannot be
 * the right one, so it is refused before anything is sent and no try is
 * spent. Letters are upper case here (the keypad's A–Z grid; main upper-cases
 * a password typed on a keyboard first). Main checks the bytes it will send
 * (docs/card-protocol.md, "Handling PIN bytes"), the keypad the typed text:
 * one character or byte at a time, so both read the same rule.
 */
export function pinFormatProblem(pin: PinId, value: string | Uint8Array): PinFormatProblem | undefined {
  const rule = PIN_RULES[pin];
  let letters = 0;
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const code = typeof value === 'string' ? value.charCodeAt(i) : value[i]!;
    if (code >= 0x30 && code <= 0x39) digits++;
    else if (rule.takesLetters && code >= 0x41 && code <= 0x5a) letters++;
    else return 'bad-characters';
  }
  if (value.length < rule.minLength || value.length > rule.maxLength) return 'wrong-length';
  if (rule.takesLetters && (letters === 0 || digits === 0)) return 'needs-letter-and-digit';
  return undefined;
}

/** The screens a customer session can be on (main/session/view.ts maps the machine's states onto these). */
export const SESSION_SCREENS = [
  'reading',
  'status',
  'route-choice',
  'proxy-check',
  'authority-check',
  'identity-check',
  'new-pin',
  'new-pin-again',
  'setting-pin',
  'pin-entry',
  'last-try',
  'verifying',
  'checking-substitutes',
  'substitutes',
  'confirm',
  'renewing',
  'card-away',
  'done',
  'not-yet',
  'card-renewal',
  'hand-off',
  'ended',
] as const;

/** Every reason a session can end with "please go to the counter"; the slip and the hand-off screen word each one. */
export const HAND_OFF_CODES = [
  'not-a-my-number-card',
  'juki-card',
  'smartphone',
  'unrecognised-card',
  'no-valid-authentication-certificate',
  'period-of-stay',
  'face-auth-staff-only',
  'legal-representative-required',
  'pin-locked',
  'pin-blocked',
  'pin-forgotten',
  'service-unavailable',
  'gateway-failure',
  'card-error',
  'identity-not-confirmed',
  'substitute-characters-declined',
  'envelope-unsealed',
  'form-expired',
  'form-not-handed-in-person',
  'proxy-without-identity',
  'authority-not-proven',
] as const;
export type HandOffCode = (typeof HAND_OFF_CODES)[number];

/** The renewal's steps as a resident is told them (main/session/view.ts maps the journal's steps onto these). */
export const RENEWAL_PROGRESS_STEPS = ['preparing', 'creating-keys', 'issuing', 'writing', 'finishing'] as const;

/** A session's reference for the slip and the counter: 8 characters, no I/O/0/1 to misread. */
export const SESSION_REFERENCE_PATTERN = /^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/;

/** What a trainer can break in the demo. */
export const DEMO_FAULTS = [
  'pull-card',
  'reinsert-card',
  'unplug-reader',
  'plug-in-reader',
  'service-down',
  'service-slow',
  'service-up',
  'power-cut',
] as const;

/** Query parameter that carries the per-launch token on the WebSocket URL. */
export const WEB_BRIDGE_PATH = '/bridge';
export const WEB_BRIDGE_TOKEN_PARAM = 'token';
/**
 * Query parameter by which a web-host page says it is the counter's
 * customer-facing window (`display=customer`). Electron tells its windows
 * apart by their webContents; the web host, a trainer's and the tests'
 * stand-in, takes the page's word for it.
 */
export const WEB_BRIDGE_DISPLAY_PARAM = 'display';
