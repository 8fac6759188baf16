/**
 * The bridge contract between the sandboxed renderer and main.
 *
 * This file is "common" code: it imports nothing from Node or Electron, so
 * main, the preload and the renderer can all import it. Commands flow from
 * the renderer to main and are validated here with zod before main acts on
 * them; events flow back and carry only sanitised view-state — never a PIN,
 * never a My Number, and in the lobby profile never a name or an address.
 */
import { z } from 'zod';
import {
  CARD_KINDS,
  DEMO_FAULTS,
  HAND_OFF_CODES,
  LANGUAGES,
  PIN_IDS,
  PROFILES,
  RENEWAL_ROUTES,
  RENEWAL_PROGRESS_STEPS,
  SESSION_REFERENCE_PATTERN,
  SESSION_ENDS,
  SESSION_SCREENS,
} from './vocabulary';

export * from './vocabulary';

// ── Vocabulary ───────────────────────────────────────────────────────────────

export const profileSchema = z.enum(PROFILES);
export type Profile = z.infer<typeof profileSchema>;

export const languageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof languageSchema>;

export const readerStackFaultSchema = z.enum(['binding-missing', 'service-not-running', 'service-error']);

/** What the terminal knows about its card readers (closed: every screen handles every case). */
export const readerStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('unavailable'), reason: readerStackFaultSchema }),
  z.object({ state: z.literal('no_reader') }),
  z.object({ state: z.literal('waiting_for_card'), readers: z.array(z.string()) }),
  z.object({ state: z.literal('card_present'), reader: z.string(), readers: z.array(z.string()) }),
]);
export type ReaderStatus = z.infer<typeof readerStatusSchema>;

/** Where the terminal's cards come from; the web host only ever has virtual ones. */
export const cardSourceSchema = z.enum(['pcsc', 'virtual']);
export type CardSource = z.infer<typeof cardSourceSchema>;

// ── View-state (main → renderer) ─────────────────────────────────────────────

export const sessionScreenSchema = z.enum(SESSION_SCREENS);

const japanDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const pinNameSchema = z.enum(PIN_IDS);
const routeSchema = z.enum(RENEWAL_ROUTES);

/**
 * What a customer session shows, projected from the session machine
 * (main/session/view.ts). Dates, counts and reason codes only: never a PIN,
 * a My Number or a certificate serial, and a name and an address only on the
 * counter's substitute-character screen.
 */
export const sessionViewSchema = z
  .object({
    screen: sessionScreenSchema,
    reference: z.string().regex(SESSION_REFERENCE_PATTERN),
    route: routeSchema,
    card: z
      .object({
        kind: z.enum(CARD_KINDS),
        authenticationExpires: japanDateSchema.optional(),
        signatureCertificate: z.boolean(),
      })
      .strict()
      .optional(),
    eligibility: z
      .object({
        outcome: z.enum(['renew', 'not-yet', 'card-renewal-needed', 'hand-off']),
        opensOn: japanDateSchema.optional(),
        cardExpires: japanDateSchema.optional(),
        newExpiry: z.object({ authentication: japanDateSchema, signature: japanDateSchema.optional() }).strict().optional(),
        reasons: z.array(z.string().regex(/^[a-z0-9-]+$/)),
      })
      .strict()
      .optional(),
    pin: z
      .object({
        name: pinNameSchema,
        triesLeft: z.number().int().min(0).max(15).optional(),
        maxTries: z.number().int(),
        lastAttempt: z.enum(['wrong', 'mismatch', 'malformed']).optional(),
      })
      .strict()
      .optional(),
    handOff: z.enum(HAND_OFF_CODES).optional(),
    /** A PIN hand-off (`pin-locked`, `pin-blocked`): which PINs are locked, so the screen and the slip name them. */
    lockedPins: z.array(pinNameSchema).optional(),
    /** The card came back after being pulled mid-renewal: the PIN screens say why the PINs are asked again. */
    resumed: z.literal(true).optional(),
    /** Who types the PIN being asked: the resident (on the customer display, if the counter has one) or staff (a proxy's sealed form). */
    pinTypedBy: z.enum(['resident', 'staff']).optional(),
    /** The renewal step under way, for the named progress steps. */
    progress: z
      .object({ step: z.enum(RENEWAL_PROGRESS_STEPS) })
      .strict()
      .optional(),
    /**
     * Counter profile only, on the substitute-character screen: the name and
     * address as the signature certificate writes them, for the resident to
     * confirm. Never in the lobby or demo views, never logged.
     */
    substitutes: z
      .object({ name: z.string().max(200), address: z.string().max(400) })
      .strict()
      .optional(),
    renewed: z.object({ authenticationExpires: japanDateSchema, signatureExpires: japanDateSchema.optional() }).strict().optional(),
    ended: z.enum(SESSION_ENDS).optional(),
  })
  .strict();
export type SessionView = z.infer<typeof sessionViewSchema>;

/** `attract` until a card is in; `session` while a customer session runs (its view in `session`). */
export const screenSchema = z.enum(['attract', 'session']);
export type Screen = z.infer<typeof screenSchema>;

/** The counter's staff session (docs/experience.md, "Time-outs": it locks after inactivity, never during a renewal step). */
export const staffViewSchema = z
  .object({
    state: z.enum(['signed-out', 'signed-in', 'locked']),
    staffId: z.string().optional(),
    role: z.enum(['clerk', 'supervisor']).optional(),
    /** A passcode is being checked: the form waits. */
    checking: z.boolean().optional(),
    /**
     * Why the last sign-in was refused: a wrong id or passcode (never which),
     * too many wrong ones lately (try again in `retryInSeconds`), or the
     * account is locked until a supervisor clears it.
     */
    refusal: z.enum(['wrong-credentials', 'too-many-attempts', 'account-locked']).optional(),
    retryInSeconds: z.number().int().min(1).optional(),
    /** A signed-in supervisor: the accounts locked after too many wrong passcodes, to clear. */
    lockedAccounts: z.array(z.string()).optional(),
  })
  .strict();
export type StaffView = z.infer<typeof staffViewSchema>;

/** What a trainer can break in the demo, and what is broken now. */
export const demoFaultSchema = z.enum(DEMO_FAULTS);
export type DemoFault = z.infer<typeof demoFaultSchema>;

/** One line per virtual card the trainer can insert (demo profile only). */
export const demoPersonaSchema = z
  .object({
    id: z.string(),
    title: z.object({ ja: z.string(), en: z.string() }),
    description: z.object({ ja: z.string(), en: z.string() }),
  })
  .strict();

export const viewStateSchema = z.object({
  profile: profileSchema,
  cardSource: cardSourceSchema,
  screen: screenSchema,
  language: languageSchema,
  reader: readerStatusSchema,
  session: sessionViewSchema.optional(),
  /** A session ended with the card still in the reader: the attract screen asks for it to be taken. */
  takeCard: z.boolean(),
  /** The "need more time?" countdown is running (lobby): seconds until the full reset. */
  idle: z
    .object({ secondsLeft: z.number().int().min(0) })
    .strict()
    .optional(),
  /** Counter profile: the staff member's session. */
  staff: staffViewSchema.optional(),
  /** Counter profile: a customer-facing window shows the keypad when the resident types. */
  customerDisplay: z.boolean(),
  /** How slips reach paper: the kiosk's own printer (silent, main prints), or the browser's print dialog (web host). */
  printer: z.enum(['kiosk', 'browser']),
  /** Today in Japan by the kiosk's clock (the practice clock in a demo): the date a slip prints. */
  today: japanDateSchema,
  demo: z
    .object({
      personas: z.array(demoPersonaSchema),
      /** The persona whose card is in the reader (or was, before a pull). */
      persona: z.string().optional(),
      faults: z
        .object({ reader: z.enum(['plugged-in', 'unplugged']), service: z.enum(['up', 'down', 'slow']), cardPulled: z.boolean() })
        .strict(),
      /** The lobby's idle reset runs in the demo too, unless the trainer turned it off (DEMO_IDLE_RESET). */
      idleReset: z.boolean(),
    })
    .strict()
    .optional(),
});
export type ViewState = z.infer<typeof viewStateSchema>;

// ── Commands (renderer → main) ───────────────────────────────────────────────

/**
 * The closed set of commands. `.strict()` rejects unknown keys, so a command
 * cannot smuggle extra data past validation.
 */
/**
 * What the resident or staff did on a session screen. PIN values are bounded
 * here (at most 16 of A–Z, a–z, 0–9) and checked against the card's rule in
 * main; they go no further than the card command that uses them.
 */
const pinValueSchema = z.string().regex(/^[A-Za-z0-9]{1,16}$/);
export const sessionIntentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SUBMIT_PIN'), value: pinValueSchema }).strict(),
  z.object({ type: z.literal('SUBMIT_NEW_PIN'), value: pinValueSchema }).strict(),
  z.object({ type: z.literal('SUBMIT_NEW_PIN_AGAIN'), value: pinValueSchema }).strict(),
  z.object({ type: z.literal('CONTINUE') }).strict(),
  z.object({ type: z.literal('CONFIRM_LAST_TRY') }).strict(),
  z.object({ type: z.literal('FORGOT_PIN') }).strict(),
  z.object({ type: z.literal('CHOOSE_ROUTE'), route: routeSchema }).strict(),
  z
    .object({
      type: z.literal('PROXY_CHECKED'),
      checks: z
        .object({
          envelopeSealed: z.boolean(),
          formWithinValidity: z.boolean(),
          handedInPerson: z.boolean(),
          proxyIdentity: z.enum(['document-a', 'document-b', 'none']),
          relationship: z.enum(['family', 'other']),
        })
        .strict(),
    })
    .strict(),
  z.object({ type: z.literal('AUTHORITY_CHECKED'), proven: z.boolean() }).strict(),
  z
    .object({
      type: z.literal('IDENTITY_CHECKED'),
      check: z
        .object({
          documentsA: z.number().int().min(0).max(3),
          documentsB: z.number().int().min(0).max(3),
          oralQuestioning: z.boolean(),
          accepted: z.boolean(),
        })
        .strict(),
    })
    .strict(),
  z.object({ type: z.literal('SUBSTITUTES_CONFIRMED'), accepted: z.boolean() }).strict(),
  z.object({ type: z.literal('CONFIRM_RENEWAL') }).strict(),
  z.object({ type: z.literal('CANCEL') }).strict(),
  z.object({ type: z.literal('TIMEOUT') }).strict(),
]);
export type SessionIntentMessage = z.infer<typeof sessionIntentSchema>;

export const commandSchema = z.discriminatedUnion('type', [
  /** The view has mounted and wants the current snapshot. */
  z.object({ type: z.literal('VIEW_READY') }).strict(),
  z.object({ type: z.literal('SET_LANGUAGE'), language: languageSchema }).strict(),
  /** An intent for the running customer session. */
  z.object({ type: z.literal('SESSION'), intent: sessionIntentSchema }).strict(),
  /** Someone touched the screen: the idle timer starts again and the "need more time?" overlay closes. */
  z.object({ type: z.literal('STILL_HERE') }).strict(),
  /** Counter profile: staff sign in (or unlock) with their id and passcode; the passcode goes no further than its hash check. */
  z
    .object({
      type: z.literal('STAFF_SIGN_IN'),
      staffId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
      passcode: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[\x21-\x7e]+$/),
    })
    .strict(),
  z.object({ type: z.literal('STAFF_SIGN_OUT') }).strict(),
  /** Counter profile, a signed-in supervisor: clear an account locked after too many wrong passcodes. */
  z.object({ type: z.literal('STAFF_CLEAR_LOCKOUT'), staffId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/) }).strict(),
  /** Print the slip of the screen shown (main knows which slip the session is at). */
  z.object({ type: z.literal('PRINT_SLIP') }).strict(),
  /** Demo profile: put a persona's virtual card into the reader, or take it out. */
  z.object({ type: z.literal('DEMO_INSERT_CARD'), persona: z.string().regex(/^[a-z0-9-]{1,64}$/) }).strict(),
  z.object({ type: z.literal('DEMO_REMOVE_CARD') }).strict(),
  z.object({ type: z.literal('DEMO_FAULT'), fault: demoFaultSchema }).strict(),
  /** Demo profile: everything back to the start (no card, no fault, default language). */
  z.object({ type: z.literal('DEMO_RESET') }).strict(),
  /**
   * Spoken guidance: say this text in the session's language. Screen words
   * only (a title, a key's one word): a keypad never sends what was typed.
   * Bounded, and without control characters, before it reaches an engine.
   */
  z
    .object({
      type: z.literal('SPEAK'),
      text: z
        .string()
        .min(1)
        .max(400)
        .regex(/^[^\p{Cc}]+$/u),
    })
    .strict(),
  /** The trainer turns the demo's idle reset on or off (on at start: the demo behaves as the lobby does). */
  z.object({ type: z.literal('DEMO_IDLE_RESET'), on: z.boolean() }).strict(),
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandType = Command['type'];

/** Every command is answered: accepted, or refused with a reason the view can show. */
export type CommandResult =
  | { ok: true }
  /** SPEAK: the words as a WAV file, base64; none when the terminal has no voice for the language (the renderer uses the platform's). */
  | { ok: true; audio?: string }
  | { ok: false; error: 'invalid-command' | 'unknown-command' | 'forbidden-sender' | 'not-now' | 'internal-error' };

// ── Events (main → renderer) ─────────────────────────────────────────────────

export const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), state: viewStateSchema }),
  z.object({ type: z.literal('reader'), status: readerStatusSchema }),
]);
export type KioskEvent = z.infer<typeof eventSchema>;

// ── The object the renderer sees as `window.kiosk` ───────────────────────────

export interface KioskBridge {
  /** Send one command; resolves with main's answer. */
  send(command: Command): Promise<CommandResult>;
  /** Receive every event main sends; returns the unsubscribe function. */
  subscribe(listener: (event: KioskEvent) => void): () => void;
}

export { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL } from './channels';

/** The custom scheme and host the renderer is served from inside Electron. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'kiosk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Parse untrusted input as a command. Unknown `type`s are told apart from
 * malformed known ones so main can log which it was — never the payload,
 * which could hold a PIN in later commands.
 */
export function parseCommand(input: unknown): { ok: true; command: Command } | { ok: false; error: 'invalid-command' | 'unknown-command' } {
  const parsed = commandSchema.safeParse(input);
  if (parsed.success) return { ok: true, command: parsed.data };
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  const known = commandSchema.options.some((option) => option.shape.type.value === type);
  return { ok: false, error: known ? 'invalid-command' : 'unknown-command' };
}

// ── The web bridge's wire format (demo in a browser, end-to-end tests) ──────

export const webRequestSchema = z.object({ id: z.number().int().nonnegative(), command: z.unknown() }).strict();
export type WebRequest = z.infer<typeof webRequestSchema>;

export type WebResponse = { kind: 'result'; id: number; result: CommandResult } | { kind: 'event'; event: KioskEvent };
