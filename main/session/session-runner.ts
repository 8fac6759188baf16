import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createActor, fromPromise, type SnapshotFrom } from 'xstate';
import type { Profile } from '../../preload/contract';
import { IssuerChannelClient } from '../card/issuer-channel-client';
import type { CardStatus, VerifyResult } from '../card/jpki-client';
import { normalisePin, ownedPinBytes, pinFormatProblem, type PinId } from '../domain/pin-rules';
import type { CardConnection } from '../card/reader';
import { ReaderError } from '../card/reader-errors';
import { statedHolder } from '../card/jpki-certificate';
import type { IdentityCheckRecord, IssuanceGateway, ResidentRecord } from '../issuance/gateway';
import { japanDate } from '../domain/japan-calendar';
import type { AuditChain, HAND_OFF_REASONS } from '../store/audit';
import type { CardIdentity, RenewalJournal, SessionTag, StepWrite } from '../store/journal';
import { decideEligibility, type CardFacts, type EligibilityDecision } from '../domain/eligibility';
import { runRenewal, type RenewalOutcome } from './renewal';
import {
  cardSessionMachine,
  proxyRejection,
  sessionMachine,
  type CardReading,
  type RenewInput,
  type HandOffCode,
  type SessionEvent,
  type IdentityCheck,
  type ProxyChecks,
  type Route,
  type SessionEnd,
} from './session-machine';
import { cardSessionOf, progressStepOf, projectSessionView, sessionReference, type SessionView, type SessionViewExtras } from './view';

/**
 * Runs one customer session: the session machine plus the I/O it asks for
 * (card, issuing service, journal, audit). What the resident types arrives
 * here as an intent with a value; the value goes into a one-shot box that
 * the next card command empties, and the machine only hears that a PIN was
 * entered. Nothing here keeps a PIN after the command that used it.
 */

export type SessionIntent =
  | { type: 'SUBMIT_PIN'; value: string }
  | { type: 'SUBMIT_NEW_PIN'; value: string }
  | { type: 'SUBMIT_NEW_PIN_AGAIN'; value: string }
  | { type: 'CONTINUE' }
  | { type: 'CONFIRM_LAST_TRY' }
  | { type: 'FORGOT_PIN' }
  | { type: 'CHOOSE_ROUTE'; route: Route }
  | { type: 'PROXY_CHECKED'; checks: ProxyChecks }
  | { type: 'AUTHORITY_CHECKED'; proven: boolean }
  | { type: 'IDENTITY_CHECKED'; check: IdentityCheck }
  | { type: 'SUBSTITUTES_CONFIRMED'; accepted: boolean }
  | { type: 'CONFIRM_RENEWAL' }
  | { type: 'CANCEL' }
  | { type: 'TIMEOUT' };

export interface SessionDependencies {
  profile: Profile;
  /** A connection to the card, opened in exclusive mode (PINs will be verified). */
  connect: () => Promise<CardConnection>;
  gateway: IssuanceGateway;
  journal: RenewalJournal;
  audit: AuditChain;
  now?: () => Date;
  /**
   * Counter only: the signed-in staff member when the session starts. Every
   * audit row of the session carries them (they run it: the route, the
   * checks, a proxy's PINs, a PIN reset), and a PIN reset's identity check
   * goes to the service under their id. The session ends before anyone else
   * may act at the counter (kiosk/staff-session.ts).
   */
  staffId?: () => string | undefined;
}

export interface SessionResult {
  end: SessionEnd;
  handOff?: string;
  outcome?: RenewalOutcome;
  failure?: string;
}

/**
 * Holds one PIN, as bytes, until it is taken once; taking an empty box is a
 * bug, not a retry. What it holds it wipes when it is cleared or given
 * another value; what is taken is the taker's to wipe.
 */
class SecretBox {
  #value: Uint8Array | undefined;
  put(value: Uint8Array): void {
    this.clear();
    this.#value = value;
  }
  take(): Uint8Array {
    const value = this.#value;
    this.#value = undefined;
    // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable: the machine asks for a command only once its PIN came
    if (value === undefined) throw new Error('no PIN was entered for this command');
    return value;
  }
  clear(): void {
    this.#value?.fill(0);
    this.#value = undefined;
  }
}

export class CustomerSession {
  readonly sessionId = randomUUID();
  /** What the slip and the counter call this session (derived from the id, so the audit log finds it). */
  readonly reference = sessionReference(this.sessionId);
  readonly #deps: SessionDependencies;
  readonly #now: () => Date;
  /** Who runs this session at the counter (kiosk/staff-session.ts); none in the lobby. */
  readonly #staff: string | undefined;
  /** How the journal's audit rows name this session (and its staff member). */
  readonly #journalTag: SessionTag;
  readonly #entered = new SecretBox();
  readonly #newPin = new SecretBox();
  /** The new PIN's first entry, until the second is compared with it. */
  readonly #firstNewPin = new SecretBox();
  #connection: CardConnection | undefined;
  /** The reader reported the card gone: whatever a card command failed with, the cause is the pull. */
  #cardGone = false;
  #client: IssuerChannelClient | undefined;
  #identity: CardIdentity | undefined;
  /** The counter's accepted identity check of this session, for a PIN reset's request to the service. */
  #identityCheck: IdentityCheckRecord | undefined;
  readonly #actor;
  #watchedCardSession: SnapshotFrom<typeof sessionMachine>['children']['card'];
  /** The view last told to the listeners, as JSON. */
  #published: string | undefined;
  readonly #listeners = new Set<(view: SessionView) => void>();
  #progress: SessionView['progress'];
  /** Counter only: the signature certificate's name and address while staff confirm substitute characters. */
  #substitutes: SessionView['substitutes'];
  /** The power went (demo's power cut): nothing more may touch the card or the records. */
  #abandoned = false;
  readonly done: Promise<SessionResult>;

  constructor(deps: SessionDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#staff = deps.staffId?.();
    // In the lobby `staff` is undefined, and the journal names no staff member on its rows.
    this.#journalTag = { sessionId: this.sessionId, staff: this.#staff };
    const machine = sessionMachine.provide({
      actors: {
        readCard: fromPromise(() => this.#readCard()),
        cardSession: cardSessionMachine.provide({
          actors: {
            verifyPin: fromPromise(({ input }: { input: { pin: PinId } }) => this.#verifyPin(input.pin)),
            resetPin: fromPromise(({ input }: { input: { pin: PinId } }) => this.#resetPin(input.pin)),
            checkSubstitutes: fromPromise(() => this.#checkSubstitutes()),
            renew: fromPromise(({ input }: { input: RenewInput }) => this.#renew(input)),
          },
        }),
      },
    });
    this.#actor = createActor(machine, { input: { profile: deps.profile } });
    this.done = new Promise((resolve) => {
      const changed = () => {
        const snapshot = this.#actor.getSnapshot();
        this.#watchCardSession(snapshot, changed);
        // A card session that just ended is not a screen: the session around it takes its ending next.
        if (snapshot.value === 'withCard' && !cardSessionOf(snapshot)) return;
        // Stryker disable next-line ConditionalExpression: the view shows them only on their screen anyway; this forgets name and address
        if (cardSessionOf(snapshot)?.value !== 'substitutes') this.#substitutes = undefined;
        this.#publish();
        if (snapshot.status === 'done') void this.#finish(snapshot).then(resolve);
      };
      this.#actor.subscribe(changed);
    });
    this.#audit({ event: 'session-started', detail: { profile: deps.profile, reference: this.reference } });
    this.#actor.start();
  }

  /** Each card session (one per reading of the card) is followed as it goes, like the session itself. */
  #watchCardSession(snapshot: SnapshotFrom<typeof sessionMachine>, changed: () => void): void {
    const child = snapshot.children.card;
    if (!child || child === this.#watchedCardSession) return;
    this.#watchedCardSession = child;
    child.subscribe({ next: changed, error: () => undefined });
  }

  /** The machine's snapshot as XState would persist it: for diagnostics, and for the tests that prove it holds no PIN. */
  persistedSnapshot(): unknown {
    return this.#actor.getPersistedSnapshot();
  }

  get view(): SessionView {
    return projectSessionView(this.#actor.getSnapshot(), this.#extras());
  }

  #extras(): SessionViewExtras {
    // The view shows each only on its own screen, and only when there is one.
    return { reference: this.reference, progress: this.#progress, substitutes: this.#substitutes };
  }

  /** Tells the listeners the view, when it changed: the session and its card session both report each step. */
  #publish(): void {
    const view = this.view;
    const text = JSON.stringify(view);
    if (text === this.#published) return;
    this.#published = text;
    for (const listener of this.#listeners) listener(view);
  }

  /**
   * The power went (the demo's power cut): the session stops where it is,
   * without its normal ending — no audit row, no journal row, the card
   * unpowered. Whatever the journal holds is what the next start-up finds,
   * exactly as after a real power cut.
   */
  abandon(): void {
    this.#abandoned = true;
    this.#entered.clear();
    this.#newPin.clear();
    this.#firstNewPin.clear();
    this.#listeners.clear();
    this.#actor.stop();
    void this.#connection?.disconnect({ unpower: true }).catch(() => undefined);
    this.#connection = undefined;
    this.#client = undefined;
  }

  subscribe(listener: (view: SessionView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the resident or staff did. Values of PINs stop here. */
  send(intent: SessionIntent): void {
    switch (intent.type) {
      case 'SUBMIT_PIN': {
        const typed = this.#wellFormed(intent.value, 'pinQueue', { type: 'PIN_ENTERED' });
        if (!typed) return;
        // The verify actor takes it out of the box as the machine enters `verifying`.
        this.#entered.put(typed);
        this.#actor.send({ type: 'PIN_ENTERED' });
        return;
      }
      case 'SUBMIT_NEW_PIN': {
        const typed = this.#wellFormed(intent.value, 'resetQueue', { type: 'NEW_PIN_ENTERED' });
        if (!typed) return;
        this.#firstNewPin.put(typed);
        this.#actor.send({ type: 'NEW_PIN_ENTERED' });
        return;
      }
      case 'SUBMIT_NEW_PIN_AGAIN': {
        // Stryker disable next-line BooleanLiteral: the machine takes a second entry that matches or not alike; which it is comes below
        const again = this.#taken(intent.value, 'resetQueue', { type: 'NEW_PIN_AGAIN', matches: true })?.value;
        // The machine takes a second entry only after the first, so the first is in its box.
        if (!again) return;
        const first = this.#firstNewPin.take();
        const matches = first.length === again.length && timingSafeEqual(first, again);
        first.fill(0);
        // Matched: the reset actor takes it out of the box as the machine enters `setting`.
        if (matches) this.#newPin.put(again);
        else again.fill(0);
        this.#actor.send({ type: 'NEW_PIN_AGAIN', matches });
        return;
      }
      case 'IDENTITY_CHECKED': {
        const { check } = intent;
        // Staff's record of the identity check: counts and outcome, never which documents or their numbers.
        this.#audit({
          event: 'identity-checked',
          detail: {
            subject: 'holder',
            documentsA: check.documentsA,
            documentsB: check.documentsB,
            cardPresented: true,
            oralQuestioning: check.oralQuestioning,
            result: check.accepted ? 'accepted' : 'refused',
          },
        });
        const staffId = this.#staff;
        this.#identityCheck =
          check.accepted && staffId
            ? {
                staffId,
                checkedAt: this.#now().toISOString(),
                documentsA: check.documentsA,
                documentsB: check.documentsB,
                oralQuestioning: check.oralQuestioning,
              }
            : undefined;
        this.#actor.send(intent);
        return;
      }
      case 'PROXY_CHECKED': {
        const rejection = proxyRejection(intent.checks);
        this.#audit({
          event: 'proxy-checked',
          detail: { kind: 'voluntary-proxy', result: rejection ? 'rejected' : 'accepted', ...(rejection ? { rejection } : {}) },
        });
        this.#actor.send(intent);
        return;
      }
      case 'AUTHORITY_CHECKED':
        this.#audit({
          event: 'proxy-checked',
          detail: {
            kind: 'legal-representative',
            result: intent.proven ? 'accepted' : 'rejected',
            ...(intent.proven ? {} : { rejection: 'authority-not-proven' }),
          },
        });
        this.#actor.send(intent);
        return;
      case 'SUBSTITUTES_CONFIRMED':
        this.#audit({ event: 'substitute-characters-confirmed', detail: { result: intent.accepted ? 'confirmed' : 'declined' } });
        this.#actor.send(intent);
        return;
      default:
        this.#actor.send(intent);
    }
  }

  /**
   * A typed PIN as normalised bytes of our own, made the moment it arrives
   * (the string cannot be wiped; these can: docs/card-protocol.md), with the
   * PIN it is for. Undefined, and nothing kept, when the card session would
   * not take `event` now (no PIN asked, the last try not yet confirmed).
   */
  #taken(typed: string, queue: 'pinQueue' | 'resetQueue', event: SessionEvent): { pin: PinId; value: Uint8Array } | undefined {
    const value = ownedPinBytes(typed);
    const cardSession = cardSessionOf(this.#actor.getSnapshot());
    const pin = cardSession?.context[queue][0];
    if (pin && cardSession.can(event)) return { pin, value: normalisePin(pin, value) };
    value.fill(0);
    return undefined;
  }

  /** As `#taken`, and well formed: a value that breaks the card's rule cannot be right, so it is refused here and no try is spent. */
  #wellFormed(typed: string, queue: 'pinQueue' | 'resetQueue', event: SessionEvent): Uint8Array | undefined {
    const taken = this.#taken(typed, queue, event);
    if (!taken || !pinFormatProblem(taken.pin, taken.value)) return taken?.value;
    taken.value.fill(0);
    this.#actor.send({ type: 'PIN_MALFORMED' });
    return undefined;
  }

  /** The card left the reader (or the reader went away). */
  cardRemoved(): void {
    this.#cardGone = true;
    this.#audit({
      event: 'card-removed',
      detail: { midRenewal: cardSessionOf(this.#actor.getSnapshot())?.value === 'renewing' },
    });
    // Release the old handle: an exclusive handle left open would refuse the card when it comes back.
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the card has left, so none is there to unpower; one put back powers up afresh
    void this.#connection?.disconnect({ unpower: false }).catch(() => undefined);
    this.#connection = undefined;
    this.#client = undefined;
    this.#actor.send({ type: 'CARD_REMOVED' });
  }

  /** The card is back (only meaningful while a renewal waits for it). */
  cardInserted(): void {
    this.#cardGone = false;
    this.#actor.send({ type: 'CARD_INSERTED' });
  }

  async #clientFor(): Promise<IssuerChannelClient> {
    this.#refuseIfAbandoned();
    if (!this.#client) {
      this.#connection = await this.#deps.connect();
      this.#client = new IssuerChannelClient(this.#connection);
    }
    return this.#client;
  }

  async #readCard(): Promise<CardReading> {
    const client = await this.#clientFor();
    const status = await client.readStatus();
    const authenticationSerial = status.authenticationCertificate?.serialNumber;
    let resident: ResidentRecord | undefined;
    if (authenticationSerial && (status.kind === 'my-number' || status.kind === 'face-auth')) {
      // A service out of reach gives no record: the offline checks still run, and the decision says what could not be checked.
      resident = await this.#deps.gateway.lookupResident(authenticationSerial).catch(() => undefined);
    }
    const decision = decideEligibility({
      at: this.#now(),
      card: cardFacts(status),
      // Undefined when the service did not know the card or could not be reached: the rules decide offline then.
      resident,
      profile: this.#deps.profile,
    });
    let resumeRenewalId: string | undefined;
    if (authenticationSerial && status.tokenLabel) {
      this.#identity = { tokenLabel: status.tokenLabel, authenticationSerial };
      resumeRenewalId = this.#deps.journal.unfinishedFor(this.#identity)?.renewalId;
    }
    this.#audit({ event: 'card-read', detail: { kind: status.kind, signatureCertificate: status.signatureCertificatePresent } });
    this.#audit({ event: 'eligibility-decided', detail: auditDecision(decision) });
    // Undefined when the journal holds no unfinished renewal of this card: the machine then starts one.
    return { status, decision, resumeRenewalId };
  }

  async #verifyPin(pin: PinId): Promise<VerifyResult> {
    const value = this.#entered.take();
    let result: VerifyResult;
    try {
      result = await (await this.#clientFor()).verify(pin, value);
    } finally {
      value.fill(0);
    }
    const credential = credentialOf(pin);
    if (result.result === 'verified') this.#audit({ event: 'pin-verified', detail: { credential } });
    else if (result.result === 'wrong') this.#audit({ event: 'pin-wrong', detail: { credential, triesLeft: result.triesLeft } });
    else this.#audit({ event: 'pin-blocked', detail: { credential } });
    return result;
  }

  async #resetPin(pin: PinId): Promise<void> {
    const value = this.#newPin.take();
    try {
      await this.#resetPinTo(pin, value);
    } finally {
      value.fill(0);
    }
    this.#audit({ event: 'pin-reset', detail: { credential: credentialOf(pin), result: 'done' } });
  }

  async #resetPinTo(pin: PinId, value: Uint8Array): Promise<void> {
    const identityCheck = this.#identityCheck;
    // Stryker disable next-line OptionalChaining: a card read without its certificate is handed off before any PIN
    const authenticationSerial = this.#identity?.authenticationSerial;
    // Stryker disable next-line StringLiteral: the message is never shown; the failure is recorded by its name (failureName)
    if (!identityCheck) throw new Error('a PIN reset needs the identity check of a signed-in staff member');
    // Stryker disable next-line ConditionalExpression,StringLiteral: a card read without its certificate is handed off before any PIN
    if (!authenticationSerial) throw new Error('a PIN reset needs the card to name its resident (no authentication certificate)');
    const client = await this.#clientFor();
    const chipSerial = Buffer.from(await client.chipSerial())
      .toString('hex')
      .toUpperCase();
    const challenge = await client.getChallenge();
    // The proof for a PIN reset is bound to this session's id: no renewal is involved.
    const proof = await this.#deps.gateway.issuerProof({
      purpose: 'pin-reset',
      reference: this.sessionId,
      chipSerial,
      authenticationSerial,
      challenge,
      identityCheck,
    });
    await client.issuerAuthenticate(proof, { purpose: 'pin-reset', reference: this.sessionId });
    await client.resetPin(pin, value);
  }

  /** Whether the signature certificate's name or address carries substitute characters (OIDs .2 and .6, docs/card-protocol.md). */
  async #checkSubstitutes(): Promise<boolean> {
    const der = await (await this.#clientFor()).readCertificate('signature');
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: asked only after the signature password, so its certificate is there
    if (!der) return false;
    const holder = statedHolder(der);
    if (!holder.substituted) return false;
    // Only the counter shows them, to the resident across the desk; the lobby view never carries a name or an address.
    // Stryker disable next-line ConditionalExpression: the machine checks at the counter alone; this keeps the lobby from holding them
    if (this.#deps.profile === 'counter') this.#substitutes = { name: holder.name, address: holder.address };
    return true;
  }

  async #renew(input: RenewInput): Promise<RenewalOutcome> {
    const identity = this.#identity;
    // Stryker disable next-line ConditionalExpression,StringLiteral: a card read without its certificate is handed off before any renewal
    if (!identity) throw new Error('the card has no authentication certificate to renew');
    const { journal, gateway } = this.#deps;
    const renewalId = input.resumeRenewalId ?? journal.beginRenewal(identity, input.route);
    const record = journal.get(renewalId);
    // Stryker disable next-line ConditionalExpression,StringLiteral: just begun, or found open when the card was read
    if (!record) throw new Error(`renewal ${renewalId} is not in the journal`);
    this.#audit(
      input.resumeRenewalId
        ? {
            event: 'renewal-resumed',
            renewalId,
            detail: { step: record.lastStep ?? 'issuer-proof', state: record.lastState ?? 'started' },
          }
        : { event: 'renewal-started', renewalId, detail: { route: input.route } },
    );
    const client = await this.#clientFor();
    // The progress screen names the step under way; the journal sees every step start, so it tells us.
    // The journal types each step's data; this wrapper passes it through unchanged.
    const started = journal.stepStarted.bind(journal) as StepWrite;
    const finished = journal.stepFinished.bind(journal) as StepWrite;
    const journalWithProgress = {
      stepStarted: ((id, step, data, session) => {
        this.#refuseIfAbandoned();
        started(id, step, data, session);
        const shown = progressStepOf(step);
        if (shown !== this.#progress?.step) {
          this.#progress = { step: shown };
          this.#publish();
        }
      }) as StepWrite as RenewalJournal['stepStarted'],
      stepFinished: ((id, step, data, session) => {
        this.#refuseIfAbandoned();
        finished(id, step, data, session);
      }) as StepWrite as RenewalJournal['stepFinished'],
    };
    const outcome = await this.#whileCardStays(() =>
      runRenewal(
        {
          client,
          gateway,
          journal: journalWithProgress,
          now: this.#now,
          session: this.#journalTag,
          replaceRenewal: (old) => {
            journal.abandon(old, 'rolled-back', this.#journalTag);
            return journal.beginRenewal(identity, input.route);
          },
        },
        {
          renewalId,
          // After a commit the card shows its new certificate; the service knows the resident by the old one.
          oldAuthenticationSerial: record.card.authenticationSerial,
          signature: input.signature,
          route: input.route,
        },
      ),
    );
    this.#audit({
      event: 'renewal-done',
      renewalId: outcome.renewalId,
      detail: {
        certificates: outcome.signature ? 'both' : 'authentication-only',
        newAuthenticationSerial: outcome.authentication.serialNumber,
        ...(outcome.signature ? { newSignatureSerial: outcome.signature.serialNumber } : {}),
      },
    });
    return outcome;
  }

  /** After a power cut nothing of this session may reach the card or the records. */
  #refuseIfAbandoned(): void {
    if (this.#abandoned) throw new ReaderError('card-removed', 'the session was abandoned (power cut)');
  }

  /** Runs card work; a failure after the card was pulled is reported as the pull it is. */
  async #whileCardStays<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (this.#cardGone && !(error instanceof ReaderError && error.code === 'card-removed')) {
        // Stryker disable next-line StringLiteral,ObjectLiteral: the session acts on the code; the message and cause are never recorded
        throw new ReaderError('card-removed', 'the card was pulled during the command', { cause: error });
      }
      throw error;
    }
  }

  async #finish(snapshot: SnapshotFrom<typeof sessionMachine>): Promise<SessionResult> {
    this.#entered.clear();
    this.#newPin.clear();
    this.#firstNewPin.clear();
    const context = snapshot.context;
    // Unpower: verified PINs and the issuer proof end with the session.
    await this.#connection?.disconnect({ unpower: true }).catch(() => undefined);
    this.#connection = undefined;
    this.#client = undefined;
    // Stryker disable next-line StringLiteral: every way into the final state sets how the session ended
    const end = context.ended ?? 'error';
    if (context.handOff) this.#audit({ event: 'hand-off', detail: { reason: AUDIT_HAND_OFF[context.handOff], slip: true } });
    this.#audit({ event: 'session-ended', detail: { outcome: end } });
    // Each undefined when the session did not end that way.
    return { end, handOff: context.handOff, outcome: context.outcome, failure: context.failure };
  }

  #audit(event: Parameters<AuditChain['append']>[0]): void {
    // A command still in flight when the power went writes nothing: a real power cut leaves no row.
    if (this.#abandoned) return;
    this.#deps.audit.append({
      ...event,
      sessionId: this.sessionId,
      // In the lobby undefined: a field the audit row leaves out.
      staff: this.#staff,
      ...(this.#identity ? { card: { authenticationSerial: this.#identity.authenticationSerial } } : {}),
    } as Parameters<AuditChain['append']>[0]);
  }
}

/** The audit log's coarser hand-off vocabulary (main/store/audit.ts). */
const AUDIT_HAND_OFF: Record<HandOffCode, (typeof HAND_OFF_REASONS)[number]> = {
  'not-a-my-number-card': 'card-error',
  'juki-card': 'new-card-route',
  smartphone: 'card-error',
  'unrecognised-card': 'card-error',
  'no-valid-authentication-certificate': 'card-error',
  'period-of-stay': 'period-of-stay',
  'face-auth-staff-only': 'face-authentication-card',
  'legal-representative-required': 'legal-representative',
  'pin-locked': 'pin-blocked',
  'pin-blocked': 'pin-blocked',
  'pin-forgotten': 'pin-forgotten',
  'service-unavailable': 'service-closed',
  'gateway-failure': 'gateway-failure',
  'card-error': 'card-error',
  'identity-not-confirmed': 'help-requested',
  'substitute-characters-declined': 'substitute-characters',
  'envelope-unsealed': 'proxy',
  'form-expired': 'proxy',
  'form-not-handed-in-person': 'proxy',
  'proxy-without-identity': 'proxy',
  'authority-not-proven': 'legal-representative',
};

function auditDecision(decision: EligibilityDecision) {
  switch (decision.outcome) {
    case 'renew':
      return {
        decision: 'renewable' as const,
        certificates: decision.certificates.signature ? ('both' as const) : ('authentication-only' as const),
        expired: decision.mode === 'after-expiry',
      };
    case 'not-yet':
      return { decision: 'not-yet-in-window' as const };
    case 'card-renewal-needed':
      return { decision: 'new-card-route' as const };
    case 'hand-off':
      return { decision: 'hand-off' as const };
  }
}

/** The audit log's names for the PINs (the card-info PIN is never asked by the kiosk). */
const CREDENTIALS = { authentication: 'authentication-pin', signature: 'signature-password', registry: 'registry-pin' } as const;

/** The kiosk asks only these three; the card-info PIN is never requested, so it has no audit name. */
function credentialOf(pin: PinId): (typeof CREDENTIALS)[keyof typeof CREDENTIALS] {
  // Stryker disable next-line ConditionalExpression,StringLiteral: no state of the machine asks for the card-info PIN
  if (pin === 'cardInfo') throw new Error('the kiosk never asks for the card-info PIN');
  return CREDENTIALS[pin];
}

/** What the eligibility rules need from the card reading. */
function cardFacts(status: CardStatus): CardFacts {
  const certificate = status.authenticationCertificate;
  return {
    kind: status.kind,
    ...(certificate ? { authentication: { expires: japanDate(certificate.notAfter) } } : {}),
    signature: status.signatureCertificatePresent ? { state: 'present' } : { state: 'absent' },
    pins: status.pins,
  };
}
