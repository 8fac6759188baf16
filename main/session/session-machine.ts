import { assign, fromPromise, setup } from 'xstate';
import type { HandOffCode, Profile } from '../../preload/contract';
import type { CardStatus, VerifyResult } from '../card/jpki-client';
import { MAX_TRIES, type PinId } from '../domain/pin-rules';
import type { EligibilityDecision } from '../domain/eligibility';
import type { RenewalOutcome } from './renewal';

/**
 * One customer session, from the card going in to the card coming out
 * (docs/architecture.md, "The session machine"). It is the only place that
 * decides what happens next; the runner (session-runner.ts) does the I/O.
 *
 * PIN values never enter this machine: the runner keeps what the resident
 * typed in a one-shot box and sends value-free events (`PIN_ENTERED`), and
 * the actors take the value from the box. So neither the context, nor a
 * snapshot, nor an event log can hold a PIN.
 */

export type Route = 'in-person' | 'voluntary-proxy' | 'legal-representative';

/** Why this terminal cannot finish the session (the screens and the slip name it): the contract's closed list. */
export type { HandOffCode };

/** docs/domain.md, "Voluntary proxy … Rejected", and the legal representative's missing proof. */
export type ProxyRejection = Extract<
  HandOffCode,
  'envelope-unsealed' | 'form-expired' | 'form-not-handed-in-person' | 'proxy-without-identity' | 'authority-not-proven'
>;

export interface ProxyChecks {
  envelopeSealed: boolean;
  /** The form is within its validity (until the certificate's expiry), as staff read it against the rule. */
  formWithinValidity: boolean;
  handedInPerson: boolean;
  proxyIdentity: 'document-a' | 'document-b' | 'none';
  relationship: 'family' | 'other';
}

export interface IdentityCheck {
  documentsA: number;
  documentsB: number;
  oralQuestioning: boolean;
  accepted: boolean;
}

/** What the session learned from the card and the issuing service, without any PIN. */
export interface CardReading {
  status: CardStatus;
  decision: EligibilityDecision;
  /** The issuing service could not be reached (its record is missing from the decision). */
  gatewayDown: boolean;
  /** An unfinished renewal of this very card, found in the journal. */
  resumeRenewalId?: string;
  /** The signature certificate's name or address carries substitute characters (known after the password). */
  substitutes?: boolean;
}

export type SessionEnd = 'renewed' | 'handed-off' | 'not-eligible' | 'cancelled' | 'timed-out' | 'card-removed' | 'error';

export interface SessionContext {
  profile: Profile;
  route: Route;
  reading?: CardReading;
  /** PINs still to verify, in order; the head is the one being asked for. */
  pinQueue: PinId[];
  /** PINs staff reset after an identity check, still to set (each entered twice). */
  resetQueue: PinId[];
  triesLeft?: number;
  lastTryConfirmed: boolean;
  /** What went wrong with the last entry: a wrong PIN (a try spent), two new entries that differ, or a value refused before anything was sent. */
  lastAttempt?: 'wrong' | 'mismatch' | 'malformed';
  verified: PinId[];
  /** The hand-off happens after the offline checks (issuing service closed or down). */
  handOffAfterPins?: HandOffCode;
  handOff?: HandOffCode;
  outcome?: RenewalOutcome;
  ended?: SessionEnd;
  failure?: string;
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

export interface SessionInput {
  profile: Profile;
}

/** The PINs a renewal needs verified (docs/domain.md, "In person"), among those the card has. */
function pinsToVerify(reading: CardReading): PinId[] {
  const { pins } = reading.status;
  const signature = renewsSignature(reading);
  const wanted = ['registry', 'authentication', ...(signature ? (['signature'] as const) : [])] as const;
  return wanted.filter((pin) => pins[pin].state !== 'absent');
}

function renewsSignature(reading: CardReading): boolean {
  const decision = reading.decision;
  if (decision.outcome === 'renew') return decision.certificates.signature;
  if (decision.outcome === 'hand-off' && 'terms' in decision && decision.terms) return decision.terms.certificates.signature;
  return reading.status.signatureCertificatePresent;
}

function triesOf(reading: CardReading | undefined, pin: PinId | undefined): number | undefined {
  if (!reading || !pin || pin === 'cardInfo') return undefined;
  const status = reading.status.pins[pin];
  return status.state === 'available'
    ? status.triesLeft
    : status.state === 'verified'
      ? MAX_TRIES[pin]
      : status.state === 'blocked'
        ? 0
        : undefined;
}

export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  actors: {
    // Implementations are provided by the runner (session-runner.ts); these refuse if it forgot one.
    readCard: fromPromise<CardReading>(async () => {
      throw new Error('readCard not provided');
    }),
    verifyPin: fromPromise<VerifyResult, { pin: PinId }>(async () => {
      throw new Error('verifyPin not provided');
    }),
    resetPin: fromPromise<void, { pin: PinId }>(async () => {
      throw new Error('resetPin not provided');
    }),
    checkSubstitutes: fromPromise<boolean>(async () => {
      throw new Error('checkSubstitutes not provided');
    }),
    renew: fromPromise<RenewalOutcome, { resumeRenewalId?: string; route: Route; signature: boolean }>(async () => {
      throw new Error('renew not provided');
    }),
  },
  guards: {
    isCounter: ({ context }) => context.profile === 'counter',
    hasUnfinishedRenewal: ({ context }) => context.reading?.resumeRenewalId !== undefined,
    pinsDone: ({ context }) => context.pinQueue.length === 0,
    needsLastTryConfirmation: ({ context }) => context.triesLeft === 1 && !context.lastTryConfirmed,
    resetsDone: ({ context }) => context.resetQueue.length === 0,
  },
  actions: {
    askNextPin: assign(({ context }) => ({
      triesLeft: triesOf(context.reading, context.pinQueue[0]),
      lastTryConfirmed: false,
    })),
    handOffWith: assign((_, params: { code: HandOffCode }) => ({ handOff: params.code, ended: 'handed-off' as SessionEnd })),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    profile: input.profile,
    route: 'in-person',
    pinQueue: [],
    resetQueue: [],
    lastTryConfirmed: false,
    verified: [],
  }),
  initial: 'reading',
  on: {
    // Outside a renewal step a pulled card ends the session; inside one, the renewal waits for it (see renewing).
    CARD_REMOVED: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'card-removed' }) },
    // A session that already ended its business (renewed, handed off) keeps that ending when it is closed this way.
    CANCEL: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'cancelled' }) },
    TIMEOUT: { target: '.ended', actions: assign({ ended: ({ context }) => context.ended ?? 'timed-out' }) },
  },
  states: {
    reading: {
      invoke: {
        src: 'readCard',
        onDone: { target: 'routing', actions: assign({ reading: ({ event }) => event.output }) },
        onError: {
          target: 'handOff',
          actions: assign(({ event }) => ({
            handOff: 'card-error' as HandOffCode,
            ended: 'handed-off' as SessionEnd,
            failure: errorName(event.error),
          })),
        },
      },
    },

    routing: {
      always: [
        // The same card came back with a renewal unfinished: PINs again (a power cycle cleared them), then resume.
        { guard: 'hasUnfinishedRenewal', target: 'pins', actions: assign({ pinQueue: ({ context }) => pinsToVerify(context.reading!) }) },
        {
          guard: ({ context }) => context.reading!.decision.outcome === 'not-yet',
          target: 'notYet',
          actions: assign({ ended: 'not-eligible' }),
        },
        {
          guard: ({ context }) => context.reading!.decision.outcome === 'card-renewal-needed',
          target: 'cardRenewal',
          actions: assign({ ended: 'not-eligible' }),
        },
        // At the counter the decision lists the locked PINs staff reset first, after an identity check of the holder.
        {
          guard: ({ context }) => context.profile === 'counter' && pinsToResetFirst(context).length > 0,
          target: 'identityCheck',
          actions: assign({ resetQueue: ({ context }) => pinsToResetFirst(context) }),
        },
        { guard: ({ context }) => context.reading!.decision.outcome === 'renew', target: 'routeChoice' },
        // Hand-offs: some are only for the lobby; the counter can act on them.
        {
          guard: ({ context }) => handOffReason(context) === 'service-unavailable' && 'window' in context.reading!.decision,
          // Everything that can be checked offline is checked (PINs included), then the hand-off.
          target: 'status',
          actions: assign({ handOffAfterPins: 'service-unavailable' as HandOffCode }),
        },
        { guard: ({ context }) => context.profile === 'counter' && handOffReason(context) === 'face-auth-staff-only', target: 'confirm' },
        {
          guard: ({ context }) => context.profile === 'counter' && handOffReason(context) === 'legal-representative-required',
          target: 'authorityCheck',
          actions: assign({ route: 'legal-representative' as Route }),
        },
        {
          guard: ({ context }) => context.profile === 'counter' && handOffReason(context) === 'pin-locked',
          target: 'identityCheck',
          actions: assign({ resetQueue: ({ context }) => lockedPins(context) }),
        },
        {
          target: 'handOff',
          actions: assign(({ context }) => ({ handOff: handOffReason(context) ?? 'card-error', ended: 'handed-off' as SessionEnd })),
        },
      ],
    },

    routeChoice: {
      // A resident alone is the holder: the status screen comes next. Staff choose who is at the counter.
      always: [{ guard: ({ context }) => context.profile !== 'counter', target: 'status' }],
      on: {
        CHOOSE_ROUTE: [
          {
            guard: ({ event }) => event.route === 'voluntary-proxy',
            target: 'proxyCheck',
            actions: assign({ route: 'voluntary-proxy' as Route }),
          },
          {
            guard: ({ event }) => event.route === 'legal-representative',
            target: 'authorityCheck',
            actions: assign({ route: 'legal-representative' as Route }),
          },
          { target: 'pins', actions: assign({ route: 'in-person' as Route, pinQueue: ({ context }) => pinsToVerify(context.reading!) }) },
        ],
      },
    },

    /** What expires when, and what happens next, in plain words; the resident goes on when ready. */
    status: {
      on: { CONTINUE: { target: 'pins', actions: assign({ pinQueue: ({ context }) => pinsToVerify(context.reading!) }) } },
    },

    proxyCheck: {
      on: {
        PROXY_CHECKED: [
          {
            guard: ({ event }) => proxyRejection(event.checks) === undefined,
            target: 'pins',
            actions: assign({ pinQueue: ({ context }) => pinsToVerify(context.reading!) }),
          },
          {
            target: 'handOff',
            actions: assign(({ event }) => ({ handOff: proxyRejection(event.checks), ended: 'handed-off' as SessionEnd })),
          },
        ],
      },
    },

    authorityCheck: {
      on: {
        AUTHORITY_CHECKED: [
          {
            guard: ({ event }) => event.proven,
            target: 'pins',
            actions: assign({ pinQueue: ({ context }) => pinsToVerify(context.reading!) }),
          },
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
          always: [
            {
              guard: 'resetsDone',
              target: '#session.pins',
              actions: assign({ pinQueue: ({ context }) => pinsToVerify(context.reading!) }),
            },
            { target: 'newPin' },
          ],
        },
        newPin: {
          on: {
            NEW_PIN_ENTERED: 'newPinAgain',
            PIN_MALFORMED: { target: 'newPin', reenter: true, actions: assign({ lastAttempt: 'malformed' as const }) },
          },
        },
        newPinAgain: {
          on: {
            NEW_PIN_AGAIN: [
              { guard: ({ event }) => event.matches, target: 'setting', actions: assign({ lastAttempt: undefined }) },
              { target: 'newPin', actions: assign({ lastAttempt: 'mismatch' as const }) },
            ],
          },
        },
        setting: {
          invoke: {
            src: 'resetPin',
            input: ({ context }) => ({ pin: context.resetQueue[0]! }),
            onDone: {
              target: 'next',
              actions: assign(({ context }) => {
                const pin = context.resetQueue[0]!;
                const status = {
                  ...context.reading!.status,
                  pins: { ...context.reading!.status.pins, [pin]: { state: 'available', triesLeft: MAX_TRIES[pin] } },
                };
                return { resetQueue: context.resetQueue.slice(1), reading: { ...context.reading!, status } };
              }),
            },
            onError: { target: '#session.handOff', actions: { type: 'handOffWith', params: { code: 'card-error' } } },
          },
        },
      },
    },

    pins: {
      initial: 'next',
      states: {
        next: {
          always: [
            { guard: 'pinsDone', target: '#session.afterPins' },
            { target: 'ask', actions: 'askNextPin' },
          ],
        },
        ask: {
          always: [{ guard: 'needsLastTryConfirmation', target: 'lastTry' }],
          on: {
            PIN_ENTERED: 'verifying',
            PIN_MALFORMED: { actions: assign({ lastAttempt: 'malformed' as const }) },
            FORGOT_PIN: [
              {
                guard: 'isCounter',
                target: '#session.identityCheck',
                actions: assign({ resetQueue: ({ context }) => [context.pinQueue[0]!] }),
              },
              { target: '#session.handOff', actions: { type: 'handOffWith', params: { code: 'pin-forgotten' } } },
            ],
          },
        },
        lastTry: {
          on: {
            CONFIRM_LAST_TRY: { target: 'ask', actions: assign({ lastTryConfirmed: true }) },
            FORGOT_PIN: [
              {
                guard: 'isCounter',
                target: '#session.identityCheck',
                actions: assign({ resetQueue: ({ context }) => [context.pinQueue[0]!] }),
              },
              { target: '#session.handOff', actions: { type: 'handOffWith', params: { code: 'pin-forgotten' } } },
            ],
          },
        },
        verifying: {
          invoke: {
            src: 'verifyPin',
            input: ({ context }) => ({ pin: context.pinQueue[0]! }),
            onDone: [
              {
                guard: ({ event }) => event.output.result === 'verified',
                target: 'next',
                actions: assign(({ context }) => ({
                  verified: [...context.verified, context.pinQueue[0]!],
                  pinQueue: context.pinQueue.slice(1),
                  lastAttempt: undefined,
                })),
              },
              {
                guard: ({ event }) => event.output.result === 'wrong',
                target: 'ask',
                actions: assign(({ event, context }) => ({
                  triesLeft: event.output.result === 'wrong' ? event.output.triesLeft : context.triesLeft,
                  lastTryConfirmed: false,
                  lastAttempt: 'wrong' as const,
                })),
              },
              // Blocked by this entry: the lobby hands off; the counter resets it after an identity check.
              {
                guard: 'isCounter',
                target: '#session.identityCheck',
                actions: assign({ resetQueue: ({ context }) => [context.pinQueue[0]!], triesLeft: 0 }),
              },
              { target: '#session.handOff', actions: { type: 'handOffWith', params: { code: 'pin-blocked' } } },
            ],
            onError: {
              target: '#session.handOff',
              actions: assign(({ event }) => ({
                handOff: 'card-error' as HandOffCode,
                ended: 'handed-off' as SessionEnd,
                failure: errorName(event.error),
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
          actions: assign(({ context }) => ({ handOff: context.handOffAfterPins, ended: 'handed-off' as SessionEnd })),
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
          ...(context.reading?.resumeRenewalId ? { resumeRenewalId: context.reading.resumeRenewalId } : {}),
          route: context.route,
          signature: renewsSignature(context.reading!) && context.reading!.status.signatureCertificatePresent,
        }),
        onDone: { target: 'done', actions: assign({ outcome: ({ event }) => event.output, ended: 'renewed' as SessionEnd }) },
        onError: [
          { guard: ({ event }) => errorCode(event.error) === 'card-removed', target: 'cardAway' },
          {
            target: 'handOff',
            actions: assign(({ event }) => ({
              handOff: (errorName(event.error).startsWith('RenewalError') ? 'gateway-failure' : 'card-error') as HandOffCode,
              ended: 'handed-off' as SessionEnd,
              failure: errorName(event.error),
            })),
          },
        ],
      },
    },

    /** The card left during a renewal step: put it back; the journal resumes it. */
    cardAway: {
      on: { CARD_REMOVED: {}, CARD_INSERTED: { target: 'reading', actions: assign({ verified: [], pinQueue: [] }) } },
    },

    done: {},
    notYet: {},
    cardRenewal: {},
    handOff: {},
    ended: { type: 'final' },
  },
});

function handOffReason(context: SessionContext): HandOffCode | undefined {
  const decision = context.reading?.decision;
  return decision?.outcome === 'hand-off' ? decision.reason : undefined;
}

/** The counter's renew decision names the blocked PINs to reset before renewing (docs/domain.md, "PINs"). */
function pinsToResetFirst(context: SessionContext): PinId[] {
  const decision = context.reading?.decision;
  return decision?.outcome === 'renew' ? decision.pinsToReset : [];
}

function lockedPins(context: SessionContext): PinId[] {
  const decision = context.reading?.decision;
  return decision?.outcome === 'hand-off' && decision.reason === 'pin-locked' ? decision.pins : [];
}

/** docs/domain.md, "Voluntary proxy": the first failed check names the hand-off. */
export function proxyRejection(checks: ProxyChecks): ProxyRejection | undefined {
  if (!checks.envelopeSealed) return 'envelope-unsealed';
  if (!checks.formWithinValidity) return 'form-expired';
  if (!checks.handedInPerson) return 'form-not-handed-in-person';
  if (checks.proxyIdentity === 'none') return 'proxy-without-identity';
  return undefined;
}

/** A failure's kind for the outcome and the staff: the error's name and code, never its message (it could quote card data). */
function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const code = errorCode(error) ?? (error as { step?: string } | null)?.step;
  return code ? `${name}(${code})` : name;
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
