import type { SnapshotFrom } from 'xstate';
import type { SessionView } from '../../preload/contract';
import { MAX_TRIES } from '../card/pin-rules';
import { japanDate } from '../japan-time';
import type { sessionMachine } from './session-machine';

export type { SessionView };

/** The machine's state path, as the one screen name the view knows. */
const SCREENS: Record<string, SessionView['screen']> = {
  reading: 'reading',
  routing: 'reading',
  routeChoice: 'route-choice',
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
export function projectSessionView(snapshot: SnapshotFrom<typeof sessionMachine>): SessionView {
  const context = snapshot.context;
  const path = snapshot.value;
  const key = typeof path === 'string' ? path : Object.entries(path).map(([outer, inner]) => `${outer}.${String(inner)}`)[0]!;
  const screen = SCREENS[key] ?? 'reading';
  const reading = context.reading;
  const decision = reading?.decision;
  const pinName = screen === 'new-pin' || screen === 'new-pin-again' || screen === 'setting-pin' ? context.resetQueue[0] : context.pinQueue[0];
  const asksPin = ['pin-entry', 'last-try', 'verifying', 'new-pin', 'new-pin-again', 'setting-pin'].includes(screen) && pinName !== undefined;

  return {
    screen,
    route: context.route,
    ...(reading
      ? {
          card: {
            kind: reading.status.kind,
            ...(reading.status.authenticationCertificate ? { authenticationExpires: japanDate(reading.status.authenticationCertificate.notAfter) } : {}),
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
            ...(context.triesLeft !== undefined && screen !== 'new-pin' && screen !== 'new-pin-again' ? { triesLeft: context.triesLeft } : {}),
            maxTries: MAX_TRIES[pinName],
            ...(context.lastAttempt ? { lastAttempt: context.lastAttempt } : {}),
          },
        }
      : {}),
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
