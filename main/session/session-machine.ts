import { assign, enqueueActions, fromPromise, sendTo, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { Profile, SessionIntentMessage } from '../../preload/contract';
import type { HandOffCode, RenewalRoute, SessionEnd } from '../../preload/vocabulary';
import type { CardStatus, VerifyResult } from '../card/jpki-client';
import { ReaderError } from '../card/reader-errors';
import type { EligibilityDecision, PinName, RenewalTerms } from '../domain/eligibility';
import { MAX_TRIES, type PinId } from '../domain/pin-rules';
import { RenewalError, type RenewalOutcome } from './renewal';

/**
 * One customer session, from the card going in to the card coming out
 * (docs/architecture.md, "The session machine"). It is the only place that
 * decides what happens next; the runner (session-runner.ts) does the I/O.
 *
 * Two machines, so that the compiler knows when the card has been read:
 *
 * - `sessionMachine` follows the card: it reads it, waits for it when it is
 *   pulled during a renewal step, and ends the session. It has no reading.
 * - `cardSessionMachine` runs what happens with a card that was read —
 *   routes, checks, PINs, the renewal — and is started (as the child `card`)
 *   with the reading as its input, so its context always has one.
 *
 * PIN values never enter either machine: the runner keeps what the resident
 * typed in a one-shot box and sends value-free events (`PIN_ENTERED`), and
 * the actors take the value from the box. So neither the context, nor a
 * snapshot, nor an event log can hold a PIN.
 */

export type Route = RenewalRoute;
export type { HandOffCode, SessionEnd };

/** docs/domain.md, "Voluntary proxy … Rejected", and the legal representative's missing proof. */
export type ProxyRejection = Extract<
  HandOffCode,
  'envelope-unsealed' | 'form-expired' | 'form-not-handed-in-person' | 'proxy-without-identity' | 'authority-not-proven'
>;

/** What staff checked of a voluntary proxy and the sealed form (the contract's `PROXY_CHECKED` intent). */
export type ProxyChecks = Extract<SessionIntentMessage, { type: 'PROXY_CHECKED' }>['checks'];

/** Staff's record of an identity check: counts and outcome, never which documents (the contract's `IDENTITY_CHECKED`). */
export type IdentityCheck = Extract<SessionIntentMessage, { type: 'IDENTITY_CHECKED' }>['check'];

/** What the session learned from the card and the issuing service, without any PIN. */
export interface CardReading {
  status: CardStatus;
  decision: EligibilityDecision;
  /** An unfinished renewal of this very card, found in the journal. */
  resumeRenewalId?: string;
}

export type SessionEvent =
  | { type: 'CARD_REMOVED' }
  | { type: 'CARD_INSERTED' }
  | { type: 'CHOOSE_ROUTE'; route: Route }
  | { type: 'PROXY_CHECKED'; checks: ProxyChecks }
  | { type: 'AUTHORITY_CHECKED'; proven: boolean }
  | { type: 'IDENTITY_CHECKED'; check: IdentityCheck }
  | { type: 'PIN_ENTERED' }
  /** The value broke the card's PIN rule: refused locally, nothing sent, no try spent. */
  | { type: 'PIN_MALFORMED' }
  | { type: 'CONTINUE' }
  | { type: 'CONFIRM_LAST_TRY' }
  | { type: 'FORGOT_PIN' }
  | { type: 'NEW_PIN_ENTERED' }
  | { type: 'NEW_PIN_AGAIN'; matches: boolean }
  | { type: 'SUBSTITUTES_CONFIRMED'; accepted: boolean }
  | { type: 'CONFIRM_RENEWAL' }
  | { type: 'CANCEL' }
  | { type: 'TIMEOUT' };

/** How a session ended, as far as the records and the runner's result go. */
export interface SessionEnding {
  ended?: SessionEnd;
  handOff?: HandOffCode;
  outcome?: RenewalOutcome;
  /** A failure's kind for the outcome and the staff (`failureName`), never its message. */
  failure?: string;
}

/** What a card session hands back to the session around it: how it ended, or that the card left mid-step (then `ending` is empty). */
export interface CardSessionOutput {
  route: Route;
  cardAway: boolean;
  ending: SessionEnding;
}

export interface CardSessionInput {
  profile: Profile;
  route: Route;
  reading: CardReading;
}

export interface CardSessionContext extends SessionEnding {
  profile: Profile;
  route: Route;
  reading: CardReading;
  /** PINs still to verify, in order; the head is the one being asked for. Never the card-info PIN: a renewal needs none. */
  pinQueue: PinName[];
  /** PINs staff reset after an identity check, still to set (each entered twice). */
  resetQueue: PinName[];
  triesLeft?: number;
  /** Set afresh for each PIN as it is asked (askNextPin), so there is none before the first. */
  lastTryConfirmed?: boolean;
  /**
   * What went wrong with the last entry: a wrong PIN (a try spent), two new
   * entries that differ, or a value refused before anything was sent.
   */
  lastAttempt?: 'wrong' | 'mismatch' | 'malformed';
  verified: PinId[];
  /** The hand-off happens after the offline checks (issuing service closed or down). */
  handOffAfterPins?: HandOffCode;
  /** The card left during a renewal step: the session waits for it. */
  cardAway: boolean;
}

export type RenewInput = { resumeRenewalId?: string; route: Route; signature: boolean };

/** The PINs a renewal needs verified (docs/domain.md, "In person"), among those the card has. */
function pinsToVerify(reading: CardReading): PinName[] {
  const { pins } = reading.status;
  const wanted = ['registry', 'authentication', ...(renewsSignature(reading) ? (['signature'] as const) : [])] as const;
  return wanted.filter((pin) => pins[pin].state !== 'absent');
}

/**
 * Any decision read for what only some carry, with no check of its outcome
 * at run time: the absent field is the answer for the others (only a
 * hand-off has a reason; only a pin-locked one names PINs; only a hand-off
 * decided with the holder's record has terms).
 */
type AnyDecision = { outcome: EligibilityDecision['outcome']; reason?: HandOffCode; pins?: PinName[]; terms?: RenewalTerms };

function renewsSignature(reading: CardReading): boolean {
  const decision = reading.decision;
  if (decision.outcome === 'renew') return decision.certificates.signature;
  // A hand-off's terms, when the issuing service answered; otherwise what the card holds.
  const { terms }: AnyDecision = decision;
  return terms ? terms.certificates.signature : reading.status.signatureCertificatePresent;
}

/** The tries the card has left for a queued PIN: a PIN verified earlier in this power cycle has them all, a blocked one none. */
function triesOf(reading: CardReading, pin: PinName): number {
  const status = reading.status.pins[pin];
  if (status.state === 'available') return status.triesLeft;
  if (status.state === 'verified') return MAX_TRIES[pin];
  // Blocked: an absent PIN is never queued (pinsToVerify).
  return 0;
}

/**
 * The head of a queue a state is only entered with. An empty one there is a
 * bug in this machine: said so, and the session ends as an error.
 */
function head(queue: readonly PinName[]): PinName {
  const pin = queue[0];
  if (pin === undefined) throw new Error('the session machine asked for a PIN with none queued');
  return pin;
}

function handOffReason(decision: AnyDecision): HandOffCode | undefined {
  return decision.reason;
}

/** The counter's renew decision names the blocked PINs to reset before renewing (docs/domain.md, "PINs"). */
function pinsToResetFirst(decision: EligibilityDecision): PinName[] {
  return decision.outcome === 'renew' ? decision.pinsToReset : [];
}

/** The PINs a pin-locked hand-off names; none for any other decision. */
export function lockedPins(decision: AnyDecision): PinName[] {
  return decision.pins ?? [];
}

/** docs/domain.md, "Voluntary proxy": the first failed check names the hand-off. */
export function proxyRejection(checks: ProxyChecks): ProxyRejection | undefined {
  if (!checks.envelopeSealed) return 'envelope-unsealed';
  if (!checks.formWithinValidity) return 'form-expired';
  if (!checks.handedInPerson) return 'form-not-handed-in-person';
  if (checks.proxyIdentity === 'none') return 'proxy-without-identity';
  return undefined;
}

/** The card was pulled: a card command failed because the card left, whatever the command. */
function isCardRemoved(error: unknown): boolean {
  return error instanceof ReaderError && error.code === 'card-removed';
}

/** A failure's kind for the outcome and the staff: the error's name and code (or step), never its message (it could quote card data). */
export function failureName(error: unknown): string {
  // A ReaderError, like a Node system error, is named by its string code below.
  if (error instanceof RenewalError) return `${error.name}(${error.step})`;
  if (!(error instanceof Error)) return 'Error';
  return 'code' in error && typeof error.code === 'string' ? `${error.name}(${error.code})` : error.name;
}

/**
 * Why a renewal step failed, for the resident: the issuing service (its
 * answers, its proof, what it issued) or the card.
 */
function renewalHandOff(error: unknown): HandOffCode {
  return error instanceof RenewalError ? 'gateway-failure' : 'card-error';
}

// ---------------------------------------------------------------------------
// The card session: everything after the card was read.

export const cardSessionMachine = setup({
  // Types alone: nothing of this object is read at run time.
  types: {} as { context: CardSessionContext; events: SessionEvent; input: CardSessionInput; output: CardSessionOutput },
  actors: {
    // Implementations are provided by the runner (session-runner.ts); these refuse if it forgot one.
    verifyPin: fromPromise<VerifyResult, { pin: PinId }>(async () => {
      // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
      throw new Error('verifyPin not provided');
    }),
    resetPin: fromPromise<void, { pin: PinId }>(async () => {
      // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
      throw new Error('resetPin not provided');
    }),
    checkSubstitutes: fromPromise<boolean>(async () => {
      // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
      throw new Error('checkSubstitutes not provided');
    }),
    renew: fromPromise<RenewalOutcome, RenewInput>(async () => {
      // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
      throw new Error('renew not provided');
    }),
  },
  guards: {
    isCounter: ({ context }) => context.profile === 'counter',
    hasUnfinishedRenewal: ({ context }) => context.reading.resumeRenewalId !== undefined,
    pinsDone: ({ context }) => context.pinQueue.length === 0,
    needsLastTryConfirmation: ({ context }) => context.triesLeft === 1 && !context.lastTryConfirmed,
    resetsDone: ({ context }) => context.resetQueue.length === 0,
  },
  actions: {
    askNextPin: assign(({ context }) => ({
      triesLeft: triesOf(context.reading, head(context.pinQueue)),
      lastTryConfirmed: false,
    })),
    queuePinsToVerify: assign(({ context }) => ({ pinQueue: pinsToVerify(context.reading) })),
    /** The PIN asked for is the one staff reset (after an identity check). */
    queueAskedPinForReset: assign(({ context }) => ({ resetQueue: [head(context.pinQueue)] })),
    handOffWith: assign((_, params: { code: HandOffCode }) => ({ handOff: params.code, ended: 'handed-off' })),
  },
}).createMachine({
  id: 'cardSession',
  context: ({ input }) => ({
    profile: input.profile,
    route: input.route,
    reading: input.reading,
    pinQueue: [],
    resetQueue: [],
    verified: [],
    cardAway: false,
  }),
  initial: 'routing',
  on: {
    // Outside a renewal step a pulled card ends the session; inside one, the renewal waits for it (see renewing).
    // A session that already ended its business (renewed, handed off) keeps that ending when it is closed this way.
    CARD_REMOVED: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'card-removed' }) },
    CANCEL: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'cancelled' }) },
    TIMEOUT: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'timed-out' }) },
  },
  output: ({ context }) => ({
    route: context.route,
    cardAway: context.cardAway,
    ending: context.cardAway
      ? {}
      : {
          // Stryker disable next-line StringLiteral: unreachable; `ended` is entered only by the three events above, which each set it
          ended: context.ended ?? 'error',
          ...(context.handOff ? { handOff: context.handOff } : {}),
          ...(context.outcome ? { outcome: context.outcome } : {}),
          ...(context.failure ? { failure: context.failure } : {}),
        },
  }),
  states: {
    routing: {
      always: [
        // The same card came back with a renewal unfinished: PINs again (a power cycle cleared them), then resume.
        { guard: 'hasUnfinishedRenewal', target: 'pins', actions: 'queuePinsToVerify' },
        {
          guard: ({ context }) => context.reading.decision.outcome === 'not-yet',
          target: 'notYet',
          actions: assign({ ended: 'not-eligible' }),
        },
        {
          guard: ({ context }) => context.reading.decision.outcome === 'card-renewal-needed',
          target: 'cardRenewal',
          actions: assign({ ended: 'not-eligible' }),
        },
        // At the counter the decision lists the locked PINs staff reset first, after an identity check of the holder.
        {
          guard: ({ context }) => context.profile === 'counter' && pinsToResetFirst(context.reading.decision).length > 0,
          target: 'identityCheck',
          actions: assign({ resetQueue: ({ context }) => pinsToResetFirst(context.reading.decision) }),
        },
        { guard: ({ context }) => context.reading.decision.outcome === 'renew', target: 'routeChoice' },
        // Hand-offs: some are only for the lobby; the counter can act on them.
        {
          // Every such decision carries the renewal worked out offline (its window, its mode), so there is something to check.
          guard: ({ context }) => handOffReason(context.reading.decision) === 'service-unavailable',
          // Everything that can be checked offline is checked (PINs included), then the hand-off.
          target: 'status',
          actions: assign({ handOffAfterPins: 'service-unavailable' }),
        },
        {
          guard: ({ context }) => context.profile === 'counter' && handOffReason(context.reading.decision) === 'face-auth-staff-only',
          target: 'confirm',
        },
        {
          guard: ({ context }) =>
            context.profile === 'counter' && handOffReason(context.reading.decision) === 'legal-representative-required',
          target: 'authorityCheck',
          actions: assign({ route: 'legal-representative' }),
        },
        {
          guard: ({ context }) => context.profile === 'counter' && lockedPins(context.reading.decision).length > 0,
          target: 'identityCheck',
          actions: assign({ resetQueue: ({ context }) => lockedPins(context.reading.decision) }),
        },
        {
          target: 'handOff',
          actions: assign(({ context }) => ({
            // Stryker disable next-line StringLiteral: unreachable; every decision routed this far is a hand-off, with its reason
            handOff: handOffReason(context.reading.decision) ?? 'card-error',
            ended: 'handed-off',
          })),
        },
      ],
    },

    routeChoice: {
      // A resident alone is the holder: the status screen comes next. Staff choose who is at the counter.
      always: [{ guard: ({ context }) => context.profile !== 'counter', target: 'status' }],
      on: {
        CHOOSE_ROUTE: [
          { guard: ({ event }) => event.route === 'voluntary-proxy', target: 'proxyCheck', actions: assign({ route: 'voluntary-proxy' }) },
          {
            guard: ({ event }) => event.route === 'legal-representative',
            target: 'authorityCheck',
            actions: assign({ route: 'legal-representative' }),
          },
          { target: 'pins', actions: [assign({ route: 'in-person' }), 'queuePinsToVerify'] },
        ],
      },
    },

    /** What expires when, and what happens next, in plain words; the resident goes on when ready. */
    status: {
      on: { CONTINUE: { target: 'pins', actions: 'queuePinsToVerify' } },
    },

    proxyCheck: {
      on: {
        PROXY_CHECKED: [
          { guard: ({ event }) => proxyRejection(event.checks) === undefined, target: 'pins', actions: 'queuePinsToVerify' },
          {
            target: 'handOff',
            actions: assign(({ event }) => ({ handOff: proxyRejection(event.checks), ended: 'handed-off' })),
          },
        ],
      },
    },

    authorityCheck: {
      on: {
        AUTHORITY_CHECKED: [
          { guard: ({ event }) => event.proven, target: 'pins', actions: 'queuePinsToVerify' },
          { target: 'handOff', actions: { type: 'handOffWith', params: { code: 'authority-not-proven' } } },
        ],
      },
    },

    identityCheck: {
      on: {
        IDENTITY_CHECKED: [
          { guard: ({ event }) => event.check.accepted, target: 'resettingPins' },
          { target: 'handOff', actions: { type: 'handOffWith', params: { code: 'identity-not-confirmed' } } },
        ],
      },
    },

    resettingPins: {
      initial: 'next',
      states: {
        next: {
          always: [{ guard: 'resetsDone', target: '#cardSession.pins', actions: 'queuePinsToVerify' }, { target: 'newPin' }],
        },
        newPin: {
          on: {
            NEW_PIN_ENTERED: 'newPinAgain',
            // The keypad again where it is: newPin has nothing to run on entry, so it is not re-entered.
            PIN_MALFORMED: { actions: assign({ lastAttempt: 'malformed' }) },
          },
        },
        newPinAgain: {
          on: {
            NEW_PIN_AGAIN: [
              { guard: ({ event }) => event.matches, target: 'setting', actions: assign({ lastAttempt: undefined }) },
              { target: 'newPin', actions: assign({ lastAttempt: 'mismatch' }) },
            ],
          },
        },
        setting: {
          invoke: {
            src: 'resetPin',
            input: ({ context }) => ({ pin: head(context.resetQueue) }),
            onDone: {
              target: 'next',
              actions: assign(({ context }) => {
                const pin = head(context.resetQueue);
                const pins = { ...context.reading.status.pins, [pin]: { state: 'available', triesLeft: MAX_TRIES[pin] } };
                return {
                  resetQueue: context.resetQueue.slice(1),
                  reading: { ...context.reading, status: { ...context.reading.status, pins } },
                };
              }),
            },
            onError: { target: '#cardSession.handOff', actions: { type: 'handOffWith', params: { code: 'card-error' } } },
          },
        },
      },
    },

    pins: {
      initial: 'next',
      states: {
        next: {
          always: [
            { guard: 'pinsDone', target: '#cardSession.afterPins' },
            { target: 'ask', actions: 'askNextPin' },
          ],
        },
        ask: {
          always: [{ guard: 'needsLastTryConfirmation', target: 'lastTry' }],
          on: {
            PIN_ENTERED: 'verifying',
            PIN_MALFORMED: { actions: assign({ lastAttempt: 'malformed' }) },
            // Not known: staff reset it at the counter; the lobby hands off.
            FORGOT_PIN: [
              { guard: 'isCounter', target: '#cardSession.identityCheck', actions: 'queueAskedPinForReset' },
              { target: '#cardSession.handOff', actions: { type: 'handOffWith', params: { code: 'pin-forgotten' } } },
            ],
          },
        },
        lastTry: {
          on: {
            CONFIRM_LAST_TRY: { target: 'ask', actions: assign({ lastTryConfirmed: true }) },
            // Not known: staff reset it at the counter; the lobby hands off.
            FORGOT_PIN: [
              { guard: 'isCounter', target: '#cardSession.identityCheck', actions: 'queueAskedPinForReset' },
              { target: '#cardSession.handOff', actions: { type: 'handOffWith', params: { code: 'pin-forgotten' } } },
            ],
          },
        },
        verifying: {
          invoke: {
            src: 'verifyPin',
            input: ({ context }) => ({ pin: head(context.pinQueue) }),
            onDone: [
              {
                guard: ({ event }) => event.output.result === 'verified',
                target: 'next',
                actions: assign(({ context }) => ({
                  verified: [...context.verified, head(context.pinQueue)],
                  pinQueue: context.pinQueue.slice(1),
                  lastAttempt: undefined,
                })),
              },
              {
                guard: ({ event }) => event.output.result === 'wrong',
                target: 'ask',
                actions: assign(({ event }) => {
                  // The guard admitted a wrong entry, which carries the tries left.
                  const { triesLeft }: { result: VerifyResult['result']; triesLeft?: number } = event.output;
                  return { triesLeft, lastTryConfirmed: false, lastAttempt: 'wrong' as const };
                }),
              },
              // Blocked by this entry: the lobby hands off; the counter resets it after an identity check.
              {
                guard: 'isCounter',
                target: '#cardSession.identityCheck',
                actions: assign({ resetQueue: ({ context }) => [head(context.pinQueue)], triesLeft: 0 }),
              },
              { target: '#cardSession.handOff', actions: { type: 'handOffWith', params: { code: 'pin-blocked' } } },
            ],
            onError: {
              target: '#cardSession.handOff',
              actions: assign(({ event }) => ({
                handOff: 'card-error',
                ended: 'handed-off',
                failure: failureName(event.error),
              })),
            },
          },
        },
      },
    },

    afterPins: {
      always: [
        {
          guard: ({ context }) => context.handOffAfterPins !== undefined,
          target: 'handOff',
          actions: assign(({ context }) => ({ handOff: context.handOffAfterPins, ended: 'handed-off' })),
        },
        { guard: ({ context }) => context.profile === 'counter' && context.verified.includes('signature'), target: 'checkingSubstitutes' },
        { target: 'confirm' },
      ],
    },

    checkingSubstitutes: {
      invoke: {
        src: 'checkSubstitutes',
        onDone: [{ guard: ({ event }) => event.output, target: 'substitutes' }, { target: 'confirm' }],
        onError: { target: 'handOff', actions: { type: 'handOffWith', params: { code: 'card-error' } } },
      },
    },

    substitutes: {
      on: {
        SUBSTITUTES_CONFIRMED: [
          { guard: ({ event }) => event.accepted, target: 'confirm' },
          { target: 'handOff', actions: { type: 'handOffWith', params: { code: 'substitute-characters-declined' } } },
        ],
      },
    },

    confirm: {
      // A resumed renewal was confirmed before the card left: carry on at once.
      always: [{ guard: 'hasUnfinishedRenewal', target: 'renewing' }],
      on: { CONFIRM_RENEWAL: 'renewing' },
    },

    renewing: {
      // A renewal step is never interrupted by a time-out or a cancel; a pulled card is the actor's error.
      on: { TIMEOUT: {}, CANCEL: {}, CARD_REMOVED: {} },
      invoke: {
        src: 'renew',
        input: ({ context }) => ({
          ...(context.reading.resumeRenewalId ? { resumeRenewalId: context.reading.resumeRenewalId } : {}),
          route: context.route,
          signature: renewsSignature(context.reading) && context.reading.status.signatureCertificatePresent,
        }),
        onDone: { target: 'done', actions: assign({ outcome: ({ event }) => event.output, ended: 'renewed' }) },
        onError: [
          // The card left during the step: the session around waits for it; the journal resumes the renewal.
          { guard: ({ event }) => isCardRemoved(event.error), target: 'cardAway', actions: assign({ cardAway: true }) },
          {
            target: 'handOff',
            actions: assign(({ event }) => ({
              handOff: renewalHandOff(event.error),
              ended: 'handed-off',
              failure: failureName(event.error),
            })),
          },
        ],
      },
    },

    done: {},
    notYet: {},
    cardRenewal: {},
    handOff: {},
    cardAway: { type: 'final' },
    ended: { type: 'final' },
  },
});

// ---------------------------------------------------------------------------
// The session: the card going in, being read, leaving and coming back.

export interface SessionInput {
  profile: Profile;
}

export interface SessionContext extends SessionEnding {
  profile: Profile;
  /** Who is at the terminal; kept when the card leaves during a renewal step and comes back. */
  route: Route;
  /**
   * The card came back after leaving during a renewal step: a card forgets
   * its verified PINs when it loses power, so they are asked again, and the
   * PIN screens say why.
   */
  resumedAfterCardAway?: boolean;
}

/** A card session that ended reports here, under the id `card`; so does one that broke (a bug in it). */
type CardSessionDone = DoneActorEvent<CardSessionOutput, 'card'>;
type CardSessionBroke = ErrorActorEvent<unknown, 'card'>;

/**
 * The intents and card events a running card session decides on: passed to
 * it as they come. Every event is listed (the compiler holds the list to
 * `SessionEvent`): one left out would be decided here instead — a cancel
 * would end a renewal step.
 */
const FORWARDED = {
  CARD_REMOVED: true,
  CARD_INSERTED: true,
  CHOOSE_ROUTE: true,
  PROXY_CHECKED: true,
  AUTHORITY_CHECKED: true,
  IDENTITY_CHECKED: true,
  PIN_ENTERED: true,
  PIN_MALFORMED: true,
  CONTINUE: true,
  CONFIRM_LAST_TRY: true,
  FORGOT_PIN: true,
  NEW_PIN_ENTERED: true,
  NEW_PIN_AGAIN: true,
  SUBSTITUTES_CONFIRMED: true,
  CONFIRM_RENEWAL: true,
  CANCEL: true,
  TIMEOUT: true,
} as const satisfies Record<SessionEvent['type'], true>;

export const sessionMachine = setup({
  types: {} as {
    context: SessionContext;
    events: SessionEvent | CardSessionDone | CardSessionBroke;
    input: SessionInput;
    children: { card: 'cardSession' };
  },
  actors: {
    // Provided by the runner (session-runner.ts); this refuses if it forgot.
    readCard: fromPromise<CardReading>(async () => {
      // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
      throw new Error('readCard not provided');
    }),
    cardSession: cardSessionMachine,
  },
}).createMachine({
  // No id: nothing addresses this machine's states by it (the card session's are, as #cardSession).
  context: ({ input }) => ({ profile: input.profile, route: 'in-person' }),
  initial: 'reading',
  on: {
    // A session that already ended its business (a hand-off) keeps that ending when it is closed this way.
    CARD_REMOVED: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'card-removed' }) },
    CANCEL: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'cancelled' }) },
    TIMEOUT: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'timed-out' }) },
  },
  states: {
    reading: {
      invoke: {
        src: 'readCard',
        onDone: {
          target: 'withCard',
          actions: enqueueActions(({ context, event, enqueue }) =>
            enqueue.spawnChild('cardSession', {
              id: 'card',
              input: { profile: context.profile, route: context.route, reading: event.output },
            }),
          ),
        },
        onError: {
          target: 'unreadable',
          actions: assign(({ event }) => ({
            handOff: 'card-error',
            ended: 'handed-off',
            failure: failureName(event.error),
          })),
        },
      },
    },

    /** The card could not be read: the hand-off screen, until the card is taken. */
    unreadable: {},

    /** The card session decides; this only passes it what happens and hears how it ended. */
    withCard: {
      on: {
        ...Object.fromEntries(Object.keys(FORWARDED).map((type) => [type, { actions: sendTo('card', ({ event }) => event) }])),
        'xstate.done.actor.card': [
          {
            guard: ({ event }) => event.output.cardAway,
            target: 'cardAway',
            actions: assign({ route: ({ event }) => event.output.route }),
          },
          { target: 'ended', actions: assign(({ event }) => ({ route: event.output.route, ...event.output.ending })) },
        ],
        // The card session itself failed: the session ends as an error (the runner unpowers the card), never hangs.
        'xstate.error.actor.card': {
          target: 'ended',
          actions: assign(({ event }) => ({ ended: 'error', failure: failureName(event.error) })),
        },
      },
    },

    /** The card left during a renewal step: put it back; it is read again and the journal resumes the renewal. */
    cardAway: {
      on: { CARD_REMOVED: {}, CARD_INSERTED: { target: 'reading', actions: assign({ resumedAfterCardAway: true }) } },
    },

    ended: { type: 'final' },
  },
});
