import type { SnapshotFrom } from 'xstate';
import type { SessionView } from '../../preload/contract';
import type { RenewalStep } from '../store/journal';
import { MAX_TRIES } from '../domain/pin-rules';
import { japanDate } from '../domain/japan-calendar';
import type { sessionMachine } from './session-machine';

export type { SessionView };

/** The machine's state path, as the one screen name the view knows. */
const SCREENS: Record<string, SessionView['screen']> = {
  reading: 'reading',
  routing: 'reading',
  routeChoice: 'route-choice',
  status: 'status',
  proxyCheck: 'proxy-check',
  authorityCheck: 'authority-check',
  identityCheck: 'identity-check',
  'resettingPins.next': 'new-pin',
  'resettingPins.newPin': 'new-pin',
  'resettingPins.newPinAgain': 'new-pin-again',
  'resettingPins.setting': 'setting-pin',
  'pins.next': 'pin-entry',
  'pins.ask': 'pin-entry',
  'pins.lastTry': 'last-try',
  'pins.verifying': 'verifying',
  afterPins: 'verifying',
  checkingSubstitutes: 'checking-substitutes',
  substitutes: 'substitutes',
  confirm: 'confirm',
  renewing: 'renewing',
  cardAway: 'card-away',
  done: 'done',
  notYet: 'not-yet',
  cardRenewal: 'card-renewal',
  handOff: 'hand-off',
  ended: 'ended',
};

/**
 * The sanitised view of a session: built field by field from what the
 * screens need (dates, counts, codes), never by copying the context, so a
 * field added to the machine cannot leak into the renderer by accident.
 */
/** What the runner knows outside the machine and the view shows. */
export interface SessionViewExtras {
  reference: string;
  progress?: SessionView['progress'];
  /** Counter profile only (the runner never fills it elsewhere). */
  substitutes?: SessionView['substitutes'];
}

export function projectSessionView(snapshot: SnapshotFrom<typeof sessionMachine>, extras: SessionViewExtras): SessionView {
  const context = snapshot.context;
  const path = snapshot.value;
  const key = typeof path === 'string' ? path : Object.entries(path).map(([outer, inner]) => `${outer}.${String(inner)}`)[0]!;
  const screen = SCREENS[key] ?? 'reading';
  const reading = context.reading;
  const decision = reading?.decision;
  const pinName =
    screen === 'new-pin' || screen === 'new-pin-again' || screen === 'setting-pin' ? context.resetQueue[0] : context.pinQueue[0];
  const asksPin =
    ['pin-entry', 'last-try', 'verifying', 'new-pin', 'new-pin-again', 'setting-pin'].includes(screen) && pinName !== undefined;

  return {
    screen,
    reference: extras.reference,
    route: context.route,
    ...(reading
      ? {
          card: {
            kind: reading.status.kind,
            ...(reading.status.authenticationCertificate
              ? { authenticationExpires: japanDate(reading.status.authenticationCertificate.notAfter) }
              : {}),
            signatureCertificate: reading.status.signatureCertificatePresent,
          },
        }
      : {}),
    ...(decision
      ? {
          eligibility: {
            outcome: decision.outcome,
            ...(decision.outcome === 'not-yet' ? { opensOn: decision.opensOn } : {}),
            ...(decision.outcome === 'card-renewal-needed' ? { cardExpires: decision.cardExpires } : {}),
            ...(decision.outcome === 'renew' ? { newExpiry: decision.newExpiry } : {}),
            reasons: [...decision.reasons],
          },
        }
      : {}),
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
        }
      : {}),
    // A voluntary proxy's staff type the PINs from the sealed form; everyone else types their own.
    ...(asksPin
      ? { pinTypedBy: context.route === 'voluntary-proxy' && !screen.startsWith('new-pin') ? ('staff' as const) : ('resident' as const) }
      : {}),
    ...(screen === 'renewing' && extras.progress ? { progress: extras.progress } : {}),
    ...(screen === 'substitutes' && extras.substitutes ? { substitutes: extras.substitutes } : {}),
    ...(context.handOff ? { handOff: context.handOff } : {}),
    ...(context.outcome
      ? {
          renewed: {
            authenticationExpires: japanDate(new Date(context.outcome.authentication.notAfter)),
            ...(context.outcome.signature ? { signatureExpires: japanDate(new Date(context.outcome.signature.notAfter)) } : {}),
          },
        }
      : {}),
    ...(context.ended ? { ended: context.ended } : {}),
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
