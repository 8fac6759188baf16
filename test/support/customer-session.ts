import type { SessionView } from '../../preload/contract';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { VIRTUAL_READER_NAME } from '../../main/card/virtual-reader';
import { CustomerSession, type SessionIntent } from '../../main/session/session-runner';
import type { Rig, RigCard } from './renewal-rig';

/** What a script answers to a screen: an intent, the card taken out, or nothing (wait). */
export type SessionAnswer = SessionIntent | 'remove' | undefined;

/**
 * Connects to the card in the rig's reader, exclusively, as the kiosk does.
 * While `pullsBefore` says so of an APDU about to be sent, the card leaves
 * the reader instead (`pulled` is told first, as the reader's watcher would
 * tell the session) and the command fails as a pulled card's does, or as
 * `failure` says (a reader that reports the pull some other way).
 */
export function connectTo(
  card: RigCard,
  pullsBefore: (command: Uint8Array) => boolean = () => false,
  pulled: () => void = () => {},
  failure: () => Error = () => new ReaderError('card-removed', 'the card was pulled'),
): () => Promise<CardConnection> {
  return async () => {
    const connection = await card.reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    return {
      reader: connection.reader,
      atr: connection.atr,
      disconnect: (options) => connection.disconnect(options),
      transmit: async (command) => {
        if (pullsBefore(command)) {
          card.reader.remove();
          pulled();
          throw failure();
        }
        return connection.transmit(command);
      },
    };
  };
}

/**
 * Runs a customer session on the rig's card, answering each new view with
 * `answer` a microtask later (as the kiosk's transports do); returns every
 * view, the result and the session. At the counter staff member `clerk-1`
 * is signed in unless `staffId` says otherwise.
 */
export async function runSession(
  rig: Rig,
  card: RigCard,
  answer: (view: SessionView, session: CustomerSession) => SessionAnswer,
  options: {
    profile?: 'lobby' | 'counter';
    onStart?: (session: CustomerSession) => void;
    gateway?: IssuanceGateway;
    staffId?: () => string | undefined;
    connect?: () => Promise<CardConnection>;
    /** The clock the session is given; by default 10:00 in Japan on the day the persona was resolved for; 'none': it keeps its own. */
    now?: (() => Date) | 'none';
  } = {},
) {
  const profile = options.profile ?? 'lobby';
  const views: SessionView[] = [];
  const session = new CustomerSession({
    profile,
    connect: options.connect ?? connectTo(card),
    gateway: options.gateway ?? rig.jlis,
    journal: rig.journal,
    audit: rig.audit,
    // At the counter a staff member is signed in: a PIN reset carries their id to the service.
    ...(profile === 'counter' ? { staffId: options.staffId ?? (() => 'clerk-1') } : {}),
    // A Tuesday morning in Japan, the persona's own reference day.
    ...(options.now === 'none' ? {} : { now: options.now ?? (() => new Date(`${card.persona.resolvedOn}T01:00:00Z`)) }),
  });
  options.onStart?.(session);
  let last = '';
  const react = (view: SessionView) => {
    const key = JSON.stringify(view);
    if (key === last) return;
    last = key;
    views.push(view);
    const intent = answer(view, session);
    if (intent === 'remove') queueMicrotask(() => session.cardRemoved());
    else if (intent) queueMicrotask(() => session.send(intent));
  };
  session.subscribe(react);
  react(session.view);
  // A session that never ends fails here, naming its last screen, long before the test's own time-out
  // (and a mutant that hangs it is told in seconds). A power cut ends nothing: it lifts the deadline.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const overdue = new Promise<never>((_, reject) => {
    deadline = setTimeout(
      () => reject(new Error(`the session did not end within ${SESSION_DEADLINE_MS / 1000} s (last screen: ${views.at(-1)?.screen})`)),
      SESSION_DEADLINE_MS,
    );
  });
  const abandon = session.abandon.bind(session);
  session.abandon = () => {
    clearTimeout(deadline);
    abandon();
  };
  try {
    const result = await Promise.race([session.done, overdue]);
    return { views, result, session };
  } finally {
    clearTimeout(deadline);
  }
}

/** How long a scripted session may take: each takes a second or two, many times that on a busy CI machine. */
const SESSION_DEADLINE_MS = 20_000;

/** The resident who knows their PINs and goes through: continue, each PIN, the last try, confirm, and the card taken at the end. */
export const resident =
  (card: RigCard) =>
  (view: SessionView): SessionAnswer => {
    const pins = card.persona.pins!;
    switch (view.screen) {
      case 'status':
        return { type: 'CONTINUE' };
      case 'pin-entry':
        return { type: 'SUBMIT_PIN', value: pins[view.pin!.name as 'authentication' | 'signature' | 'registry']!.value };
      case 'last-try':
        return { type: 'CONFIRM_LAST_TRY' };
      case 'confirm':
        return { type: 'CONFIRM_RENEWAL' };
      case 'done':
      case 'hand-off':
      case 'not-yet':
      case 'card-renewal':
        return 'remove';
      default:
        return undefined;
    }
  };
