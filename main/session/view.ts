import type { SnapshotFrom } from 'xstate';
import type { SessionView } from '../../preload/contract';
import type { RenewalStep } from '../store/journal';
import { MAX_TRIES } from '../domain/pin-rules';
import { japanDate } from '../domain/japan-calendar';
import type { RenewalOutcome } from './renewal';
import { lockedPins, type cardSessionMachine, type sessionMachine } from './session-machine';

export type { SessionView };

/** The session machine's own states: the card being read, away, or gone. */
const SESSION_SCREENS: Record<string, SessionView['screen']> = {
  reading: 'reading',
  unreadable: 'hand-off',
  cardAway: 'card-away',
  ended: 'ended',
};

/**
 * The card session's state paths, as the one screen name the view knows.
 * The states an `always` transition leaves at once (routing, pins.next,
 * resettingPins.next, afterPins) are never in a snapshot, so they have none.
 */
const CARD_SESSION_SCREENS: Record<string, SessionView['screen']> = {
  routeChoice: 'route-choice',
  status: 'status',
  proxyCheck: 'proxy-check',
  authorityCheck: 'authority-check',
  identityCheck: 'identity-check',
  'resettingPins.newPin': 'new-pin',
  'resettingPins.newPinAgain': 'new-pin-again',
  'resettingPins.setting': 'setting-pin',
  'pins.ask': 'pin-entry',
  'pins.lastTry': 'last-try',
  'pins.verifying': 'verifying',
  checkingSubstitutes: 'checking-substitutes',
  substitutes: 'substitutes',
  confirm: 'confirm',
  renewing: 'renewing',
  done: 'done',
  notYet: 'not-yet',
  cardRenewal: 'card-renewal',
  handOff: 'hand-off',
};

/** The screens that verify a PIN (those that set a new one are the resetting ones). */
const PIN_SCREENS: readonly SessionView['screen'][] = ['pin-entry', 'last-try', 'verifying'];

/** What the runner knows outside the machine and the view shows. */
export interface SessionViewExtras {
  reference: string;
  progress?: SessionView['progress'];
  /** Counter profile only (the runner never fills it elsewhere). */
  substitutes?: SessionView['substitutes'];
}

type SessionSnapshot = SnapshotFrom<typeof sessionMachine>;
type CardSessionSnapshot = SnapshotFrom<typeof cardSessionMachine>;

/** A state value ('pins' with 'ask' inside, or 'confirm') as one dotted path. */
function statePath(value: SessionSnapshot['value'] | CardSessionSnapshot['value']): string {
  if (typeof value === 'string') return value;
  // Neither machine has a parallel state or one nested two deep: a compound state's value is { outer: 'inner' }.
  return Object.entries(value).flat().join('.');
}

/**
 * The card session while it runs (the session's child `card`). It runs only
 * while the session is with the card; once it has ended it stays a child,
 * done, and is not shown (not even in the instant before the session hears
 * that it ended).
 */
export function cardSessionOf(snapshot: SessionSnapshot): CardSessionSnapshot | undefined {
  const card = snapshot.children.card?.getSnapshot();
  return card?.status === 'active' ? card : undefined;
}

/**
 * The sanitised view of a session: built field by field from what the
 * screens need (dates, counts, codes), never by copying the context, so a
 * field added to a machine cannot leak into the renderer by accident.
 */
export function projectSessionView(snapshot: SessionSnapshot, extras: SessionViewExtras): SessionView {
  const card = cardSessionOf(snapshot);
  if (!card) {
    const context = snapshot.context;
    return {
      screen: SESSION_SCREENS[statePath(snapshot.value)] ?? 'reading',
      reference: extras.reference,
      route: context.route,
      ...(context.handOff ? { handOff: context.handOff } : {}),
      ...renewed(context.outcome),
      ...(context.ended ? { ended: context.ended } : {}),
    };
  }
  const context = card.context;
  // Stryker disable next-line StringLiteral: unreachable; every state a running card session can rest in is in the table
  const screen = CARD_SESSION_SCREENS[statePath(card.value)] ?? 'reading';
  const { reading } = context;
  const decision = reading.decision;
  const resetting = screen === 'new-pin' || screen === 'new-pin-again' || screen === 'setting-pin';
  // The PIN a screen asks for: the new one being set, or the next to verify; none elsewhere.
  const pinName = resetting ? context.resetQueue[0] : PIN_SCREENS.includes(screen) ? context.pinQueue[0] : undefined;
  const asksPin = pinName !== undefined;

  return {
    screen,
    reference: extras.reference,
    route: context.route,
    card: {
      kind: reading.status.kind,
      ...(reading.status.authenticationCertificate
        ? { authenticationExpires: japanDate(reading.status.authenticationCertificate.notAfter) }
        : {}),
      signatureCertificate: reading.status.signatureCertificatePresent,
    },
    eligibility: {
      outcome: decision.outcome,
      ...(decision.outcome === 'not-yet' ? { opensOn: decision.opensOn } : {}),
      ...(decision.outcome === 'card-renewal-needed' ? { cardExpires: decision.cardExpires } : {}),
      ...(decision.outcome === 'renew' ? { newExpiry: decision.newExpiry } : {}),
      reasons: [...decision.reasons],
    },
    ...(asksPin
      ? {
          pin: {
            name: pinName,
            ...(context.triesLeft !== undefined && screen !== 'new-pin' && screen !== 'new-pin-again'
              ? { triesLeft: context.triesLeft }
              : {}),
            maxTries: MAX_TRIES[pinName],
            ...(context.lastAttempt ? { lastAttempt: context.lastAttempt } : {}),
          },
          // A voluntary proxy's staff type the PINs from the sealed form; everyone else types their own.
          pinTypedBy: context.route === 'voluntary-proxy' && !resetting ? ('staff' as const) : ('resident' as const),
        }
      : {}),
    ...(screen === 'renewing' && extras.progress ? { progress: extras.progress } : {}),
    ...(screen === 'substitutes' && extras.substitutes ? { substitutes: extras.substitutes } : {}),
    ...(context.handOff ? { handOff: context.handOff } : {}),
    ...lockedPinsOf(context),
    ...(snapshot.context.resumedAfterCardAway && asksPin ? { resumed: true as const } : {}),
    ...renewed(context.outcome),
    ...(context.ended ? { ended: context.ended } : {}),
  };
}

/**
 * The locked PINs a PIN hand-off names: those the card reported locked when
 * read, or the one this session's last wrong entry locked (still at the head
 * of the queue: it was never verified).
 */
function lockedPinsOf(context: CardSessionSnapshot['context']): Pick<SessionView, 'lockedPins'> {
  // The session hands off as pin-locked only on the rules' pin-locked decision, which names them.
  if (context.handOff === 'pin-locked') return { lockedPins: [...lockedPins(context.reading.decision)] };
  const blocked = context.pinQueue[0];
  if (context.handOff === 'pin-blocked' && blocked) return { lockedPins: [blocked] };
  return {};
}

function renewed(outcome: RenewalOutcome | undefined): Pick<SessionView, 'renewed'> {
  if (!outcome) return {};
  return {
    renewed: {
      authenticationExpires: japanDate(new Date(outcome.authentication.notAfter)),
      ...(outcome.signature ? { signatureExpires: japanDate(new Date(outcome.signature.notAfter)) } : {}),
    },
  };
}

/** The journal's renewal steps as the resident is told them. */
const PROGRESS: Record<RenewalStep, NonNullable<SessionView['progress']>['step']> = {
  'issuer-proof': 'preparing',
  'keys-generated': 'creating-keys',
  'certificates-requested': 'issuing',
  'certificates-issued': 'issuing',
  'certificates-written': 'writing',
  committed: 'writing',
  'pins-set': 'finishing',
  verified: 'finishing',
  'old-revoked': 'finishing',
  done: 'finishing',
};

export function progressStepOf(step: RenewalStep): NonNullable<SessionView['progress']>['step'] {
  return PROGRESS[step];
}

/** Letters and digits nobody misreads on a slip or over the phone (no I, O, 0, 1). */
const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A session's 8-character reference, taken from its id: staff find the audit rows from a slip. */
export function sessionReference(sessionId: string): string {
  const bits = BigInt(`0x${sessionId.replaceAll('-', '')}`);
  let reference = '';
  for (let index = 0; index < 8; index++) reference += REFERENCE_ALPHABET[Number((bits >> BigInt(5 * index)) & 31n)];
  return `${reference.slice(0, 4)}-${reference.slice(4)}`;
}
