import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../preload/contract';
import type { IssuanceGateway, RenewalRequest } from '../../main/issuance/gateway';
import { ReaderError } from '../../main/card/reader-errors';
import { CardStatusError } from '../../main/card/status-words';
import { TOKEN_LABEL } from '../../main/card/jpki-layout';
import { CustomerSession, type SessionIntent } from '../../main/session/session-runner';
import type { AuditRow } from '../../main/domain/audit-record';
import { connectTo, resident, runSession, type SessionAnswer } from '../support/customer-session';
import { countingLookups, overriding, renewalRig, type Rig, type RigCard } from '../support/renewal-rig';

// What a customer session leaves in the audit log (docs/architecture.md,
// "The audit chain"): the IT department and the counter read these rows to
// learn what happened at a terminal, so each row's event, its detail codes
// and the session, staff member and card it names are pinned here, scenario
// by scenario. The renewal's own `renewal-step` rows are the journal's
// (renewal.test.ts).

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());

/** The session's own rows (not the journal's step rows), each as event and detail. */
function rowsOf(session: CustomerSession): AuditRow[] {
  return rig.audit.rowsAfter(0, 1_000_000).filter((row) => row.sessionId === session.sessionId && row.event !== 'renewal-step');
}
const eventsAndDetails = (rows: AuditRow[]) => rows.map((row) => ({ event: row.event, detail: row.detail }));

/** A voluntary proxy's sealed form, within its validity and handed over in person (docs/domain.md, "Voluntary proxy"). */
const SEALED_FORM_IN_PERSON = { envelopeSealed: true, formWithinValidity: true, handedInPerson: true } as const;

/** At the counter: in person, the identity check `accepted` or not, then as the resident would. */
const atCounter =
  (card: RigCard, accepted = true) =>
  (view: SessionView): SessionAnswer => {
    switch (view.screen) {
      case 'route-choice':
        return { type: 'CHOOSE_ROUTE', route: 'in-person' };
      case 'identity-check':
        return { type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 2, oralQuestioning: true, accepted } };
      case 'new-pin':
        return { type: 'SUBMIT_NEW_PIN', value: '8642' };
      case 'new-pin-again':
        return { type: 'SUBMIT_NEW_PIN_AGAIN', value: '8642' };
      case 'substitutes':
        return { type: 'SUBSTITUTES_CONFIRMED', accepted: true };
      case 'pin-entry':
        if (view.pin!.name === 'authentication' && card.persona.id === 'authentication-pin-locked')
          return { type: 'SUBMIT_PIN', value: '8642' };
        return resident(card)(view);
      default:
        return resident(card)(view);
    }
  };

describe('the audit rows of a customer session', () => {
  it('of a renewal in the lobby: each event with its codes, all naming the session and, once read, the card', async () => {
    const card = await rig.card('standard-in-window');
    const { result, session } = await runSession(rig, card, resident(card));
    expect(result.end).toBe('renewed');
    const rows = rowsOf(session);
    const renewalId = rows.find((row) => row.event === 'renewal-started')?.renewalId;
    expect(renewalId).toEqual(expect.any(String));
    expect(eventsAndDetails(rows)).toEqual([
      { event: 'session-started', detail: { profile: 'lobby', reference: session.reference } },
      { event: 'card-read', detail: { kind: 'my-number', signatureCertificate: true } },
      { event: 'eligibility-decided', detail: { decision: 'renewable', certificates: 'both', expired: false } },
      { event: 'pin-verified', detail: { credential: 'registry-pin' } },
      { event: 'pin-verified', detail: { credential: 'authentication-pin' } },
      { event: 'pin-verified', detail: { credential: 'signature-password' } },
      { event: 'renewal-started', detail: { route: 'in-person' } },
      {
        event: 'renewal-done',
        detail: {
          certificates: 'both',
          newAuthenticationSerial: result.outcome!.authentication.serialNumber,
          newSignatureSerial: result.outcome!.signature!.serialNumber,
        },
      },
      { event: 'card-removed', detail: { midRenewal: false } },
      { event: 'session-ended', detail: { outcome: 'renewed' } },
    ]);
    expect(rows.find((row) => row.event === 'renewal-done')?.renewalId).toBe(renewalId);
    // In the lobby no staff member runs the session; the card is named by its serial from the moment it is read.
    for (const row of rows) expect(row.staff, row.event).toBeUndefined();
    expect(rows[0]!.authenticationSerial).toBeUndefined();
    for (const row of rows.slice(1)) expect(row.authenticationSerial, row.event).toBe(card.identity.authenticationSerial);
    expect(result).toEqual({ end: 'renewed', outcome: result.outcome });
  }, 60_000);

  it('of an authentication-only renewal by a legal representative at the counter', async () => {
    const card = await rig.card('adult-ward-no-signature');
    const { result, session } = await runSession(
      rig,
      card,
      (view) =>
        view.screen === 'route-choice'
          ? { type: 'CHOOSE_ROUTE', route: 'legal-representative' }
          : view.screen === 'authority-check'
            ? { type: 'AUTHORITY_CHECKED', proven: true }
            : resident(card)(view),
      { profile: 'counter' },
    );
    expect(result.end).toBe('renewed');
    const details = eventsAndDetails(rowsOf(session));
    expect(details).toContainEqual({ event: 'card-read', detail: { kind: 'my-number', signatureCertificate: false } });
    expect(details).toContainEqual({
      event: 'eligibility-decided',
      detail: { decision: 'renewable', certificates: 'authentication-only', expired: false },
    });
    expect(details).toContainEqual({ event: 'renewal-started', detail: { route: 'legal-representative' } });
    expect(details).toContainEqual({
      event: 'renewal-done',
      detail: { certificates: 'authentication-only', newAuthenticationSerial: result.outcome!.authentication.serialNumber },
    });
    expect(details.filter((row) => row.event === 'pin-verified').map((row) => row.detail)).toEqual([
      { credential: 'registry-pin' },
      { credential: 'authentication-pin' },
    ]);
  }, 60_000);

  it('of a renewal after expiry: the decision says expired', async () => {
    const card = await rig.card('certificates-expired');
    const { session } = await runSession(rig, card, resident(card));
    const decided = rowsOf(session).find((row) => row.event === 'eligibility-decided');
    expect(decided?.detail).toMatchObject({ decision: 'renewable', expired: true });
  }, 60_000);

  it('of a card not yet in its window, and of a card that needs a new card', async () => {
    const early = await rig.card('not-yet-in-window');
    const first = await runSession(rig, early, resident(early));
    expect(first.result.end).toBe('not-eligible');
    expect(eventsAndDetails(rowsOf(first.session)).slice(2)).toEqual([
      { event: 'eligibility-decided', detail: { decision: 'not-yet-in-window' } },
      { event: 'card-removed', detail: { midRenewal: false } },
      { event: 'session-ended', detail: { outcome: 'not-eligible' } },
    ]);

    const ending = await rig.card('card-expires-with-certificates');
    const second = await runSession(rig, ending, resident(ending));
    const decided = rowsOf(second.session).find((row) => row.event === 'eligibility-decided');
    expect(decided?.detail).toEqual({ decision: 'new-card-route' });
  }, 60_000);

  it('of a wrong PIN and then a blocked one: tries left, the blocked PIN, the hand-off with its slip', async () => {
    const card = await rig.card('authentication-pin-one-try-left');
    const { result, session } = await runSession(rig, card, (view) =>
      view.screen === 'pin-entry' && view.pin?.name === 'authentication' ? { type: 'SUBMIT_PIN', value: '0000' } : resident(card)(view),
    );
    expect(result).toEqual({ end: 'handed-off', handOff: 'pin-blocked' });
    expect(eventsAndDetails(rowsOf(session)).slice(3)).toEqual([
      { event: 'pin-verified', detail: { credential: 'registry-pin' } },
      { event: 'pin-blocked', detail: { credential: 'authentication-pin' } },
      // The hand-off is written as the session ends, after the card was taken with the slip.
      { event: 'card-removed', detail: { midRenewal: false } },
      { event: 'hand-off', detail: { reason: 'pin-blocked', slip: true } },
      { event: 'session-ended', detail: { outcome: 'handed-off' } },
    ]);

    const other = await rig.card('standard-in-window');
    let wrong = 0;
    const again = await runSession(rig, other, (view) =>
      view.screen === 'pin-entry' && view.pin?.name === 'signature' && wrong++ === 0
        ? { type: 'SUBMIT_PIN', value: 'WRONG123' }
        : resident(other)(view),
    );
    expect(again.result.end).toBe('renewed');
    expect(eventsAndDetails(rowsOf(again.session))).toContainEqual({
      event: 'pin-wrong',
      detail: { credential: 'signature-password', triesLeft: 4 },
    });
  }, 60_000);

  it('at the counter: the staff member on every row, the identity check as counts, the reset, the service told who checked', async () => {
    const card = await rig.card('authentication-pin-locked');
    const proofsBefore = (await rig.jlis.issuerProofsGiven()).length;
    const { result, session, views } = await runSession(rig, card, atCounter(card), { profile: 'counter' });
    expect(result.end).toBe('renewed');
    // The certificate states name and address in plain characters: no substitutes screen to confirm, and no row of one.
    expect(views.map((view) => view.screen)).not.toContain('substitutes');
    const rows = rowsOf(session);
    expect(rows.map((row) => row.event)).not.toContain('substitute-characters-confirmed');
    for (const row of rows) expect(row.staff, row.event).toBe('clerk-1');
    const details = eventsAndDetails(rows);
    expect(details[0]).toEqual({ event: 'session-started', detail: { profile: 'counter', reference: session.reference } });
    expect(details).toContainEqual({
      event: 'identity-checked',
      detail: { subject: 'holder', documentsA: 1, documentsB: 2, cardPresented: true, oralQuestioning: true, result: 'accepted' },
    });
    expect(details).toContainEqual({ event: 'pin-reset', detail: { credential: 'authentication-pin', result: 'done' } });
    // The journal's rows of the renewal carry the staff member too.
    const renewalId = rows.find((row) => row.event === 'renewal-started')!.renewalId;
    const steps = rig.audit.rowsAfter(0, 1_000_000).filter((row) => row.event === 'renewal-step' && row.renewalId === renewalId);
    expect(steps.length).toBeGreaterThan(0);
    for (const row of steps) expect(row).toMatchObject({ staff: 'clerk-1', sessionId: session.sessionId });

    const proofs = (await rig.jlis.issuerProofsGiven()).slice(proofsBefore) as unknown as Record<string, unknown>[];
    expect(JSON.stringify(proofs)).toContain('clerk-1');
    expect(JSON.stringify(proofs)).toContain('pin-reset');
  }, 90_000);

  it('at the counter, an identity check refused: recorded as refused, and the hand-off asks for help', async () => {
    const card = await rig.card('authentication-pin-locked');
    const { result, session } = await runSession(rig, card, atCounter(card, false), { profile: 'counter' });
    expect(result).toEqual({ end: 'handed-off', handOff: 'identity-not-confirmed' });
    const details = eventsAndDetails(rowsOf(session));
    expect(details).toContainEqual({
      event: 'identity-checked',
      detail: { subject: 'holder', documentsA: 1, documentsB: 2, cardPresented: true, oralQuestioning: true, result: 'refused' },
    });
    expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'help-requested', slip: true } });
    expect(details.map((row) => row.event)).not.toContain('pin-reset');
  }, 60_000);

  it('at the counter with no staff member signed in, a PIN reset is never asked of the service', async () => {
    const card = await rig.card('authentication-pin-locked');
    const proofsBefore = (await rig.jlis.issuerProofsGiven()).length;
    let proofsAsked = 0;
    const gateway = overriding<IssuanceGateway>(rig.jlis, {
      issuerProof: (request) => {
        proofsAsked++;
        return rig.jlis.issuerProof(request);
      },
    });
    const { result, session } = await runSession(rig, card, atCounter(card), { profile: 'counter', staffId: () => undefined, gateway });
    expect(proofsAsked).toBe(0);
    // The reset cannot be asked without a staff member's check: the card error hand-off, nothing sent.
    expect(result).toEqual({ end: 'handed-off', handOff: 'card-error' });
    expect(eventsAndDetails(rowsOf(session))).toContainEqual({ event: 'hand-off', detail: { reason: 'card-error', slip: true } });
    expect((await rig.jlis.issuerProofsGiven()).length).toBe(proofsBefore);
    for (const row of rowsOf(session)) expect(row.staff, row.event).toBeUndefined();
  }, 60_000);

  it('of a voluntary proxy: the first failed check named; an accepted one with no rejection', async () => {
    const checks = { ...SEALED_FORM_IN_PERSON, proxyIdentity: 'document-a', relationship: 'family' } as const;
    const proxy =
      (card: RigCard, sent: SessionIntent) =>
      (view: SessionView): SessionAnswer => {
        if (view.screen === 'route-choice') return { type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' };
        if (view.screen === 'proxy-check') return sent;
        if (view.screen === 'pin-entry') return { type: 'CANCEL' };
        return resident(card)(view);
      };
    const card = await rig.card('standard-in-window');
    const refused = await runSession(rig, card, proxy(card, { type: 'PROXY_CHECKED', checks: { ...checks, formWithinValidity: false } }), {
      profile: 'counter',
    });
    expect(refused.result).toEqual({ end: 'handed-off', handOff: 'form-expired' });
    const details = eventsAndDetails(rowsOf(refused.session));
    expect(details).toContainEqual({
      event: 'proxy-checked',
      detail: { kind: 'voluntary-proxy', result: 'rejected', rejection: 'form-expired' },
    });
    expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'proxy', slip: true } });

    const other = await rig.card('standard-in-window');
    const accepted = await runSession(rig, other, proxy(other, { type: 'PROXY_CHECKED', checks }), { profile: 'counter' });
    expect(accepted.result.end).toBe('cancelled');
    expect(eventsAndDetails(rowsOf(accepted.session))).toContainEqual({
      event: 'proxy-checked',
      detail: { kind: 'voluntary-proxy', result: 'accepted' },
    });
  }, 60_000);

  it('of a legal representative: authority not proven is a rejection and a hand-off; proven is accepted', async () => {
    const representative =
      (card: RigCard, proven: boolean) =>
      (view: SessionView): SessionAnswer => {
        if (view.screen === 'route-choice') return { type: 'CHOOSE_ROUTE', route: 'legal-representative' };
        if (view.screen === 'authority-check') return { type: 'AUTHORITY_CHECKED', proven };
        if (view.screen === 'pin-entry') return { type: 'CANCEL' };
        return resident(card)(view);
      };
    const card = await rig.card('adult-ward-no-signature');
    const refused = await runSession(rig, card, representative(card, false), { profile: 'counter' });
    expect(refused.result).toEqual({ end: 'handed-off', handOff: 'authority-not-proven' });
    const details = eventsAndDetails(rowsOf(refused.session));
    expect(details).toContainEqual({
      event: 'proxy-checked',
      detail: { kind: 'legal-representative', result: 'rejected', rejection: 'authority-not-proven' },
    });
    expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'legal-representative', slip: true } });

    const other = await rig.card('adult-ward-no-signature');
    const accepted = await runSession(rig, other, representative(other, true), { profile: 'counter' });
    expect(accepted.result.end).toBe('cancelled');
    expect(eventsAndDetails(rowsOf(accepted.session))).toContainEqual({
      event: 'proxy-checked',
      detail: { kind: 'legal-representative', result: 'accepted' },
    });
  }, 60_000);

  it('of substitute characters: shown only at the counter, with the certificate’s name and address; declined is a hand-off', async () => {
    const card = await rig.card('substitute-characters');
    const { result, session, views } = await runSession(
      rig,
      card,
      (view) => (view.screen === 'substitutes' ? { type: 'SUBSTITUTES_CONFIRMED', accepted: false } : atCounter(card)(view)),
      { profile: 'counter' },
    );
    expect(result).toEqual({ end: 'handed-off', handOff: 'substitute-characters-declined' });
    const shown = views.find((view) => view.screen === 'substitutes');
    expect(shown?.substitutes).toEqual({ name: expect.any(String), address: expect.any(String) });
    expect(shown!.substitutes!.name).toContain(card.persona.holder!.nameAlternate!);
    // Only the substitutes screen carries them.
    for (const view of views.filter((candidate) => candidate.screen !== 'substitutes')) expect(view.substitutes).toBeUndefined();
    const details = eventsAndDetails(rowsOf(session));
    expect(details).toContainEqual({ event: 'substitute-characters-confirmed', detail: { result: 'declined' } });
    expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'substitute-characters', slip: true } });

    const other = await rig.card('substitute-characters');
    const confirmed = await runSession(rig, other, atCounter(other), { profile: 'counter' });
    expect(confirmed.result.end).toBe('renewed');
    expect(eventsAndDetails(rowsOf(confirmed.session))).toContainEqual({
      event: 'substitute-characters-confirmed',
      detail: { result: 'confirmed' },
    });

    const lobby = await rig.card('substitute-characters');
    const inLobby = await runSession(rig, lobby, resident(lobby));
    expect(inLobby.result.end).toBe('renewed');
    for (const view of inLobby.views) expect(view.substitutes).toBeUndefined();
  }, 120_000);
});

describe('the hand-off row: the audit log’s coarser reason for each hand-off the resident is given', () => {
  // The lobby sends these to the counter; the slip carries the session's code, the log its reason.
  it.each([
    ['face-authentication-card', undefined, 'face-auth-staff-only', 'face-authentication-card'],
    ['adult-ward-no-signature', undefined, 'legal-representative-required', 'legal-representative'],
    ['authentication-pin-locked', undefined, 'pin-locked', 'pin-blocked'],
    ['standard-in-window', 'forgot', 'pin-forgotten', 'pin-forgotten'],
    ['foreign-resident-period-of-stay', undefined, 'period-of-stay', 'period-of-stay'],
  ] as const)(
    '%s %s: %s → %s',
    async (persona, action, handOff, reason) => {
      const card = await rig.card(persona);
      const { result, session } = await runSession(rig, card, (view) =>
        action === 'forgot' && view.screen === 'pin-entry' ? { type: 'FORGOT_PIN' } : resident(card)(view),
      );
      expect(result).toEqual({ end: 'handed-off', handOff });
      expect(eventsAndDetails(rowsOf(session)).filter((row) => row.event === 'hand-off')).toEqual([
        { event: 'hand-off', detail: { reason, slip: true } },
      ]);
    },
    60_000,
  );

  it.each([
    [{ envelopeSealed: false }, 'envelope-unsealed'],
    [{ handedInPerson: false }, 'form-not-handed-in-person'],
    [{ proxyIdentity: 'none' }, 'proxy-without-identity'],
  ] as const)(
    'a voluntary proxy refused for %o: %s → proxy',
    async (failed, handOff) => {
      const card = await rig.card('standard-in-window');
      const checks = { ...SEALED_FORM_IN_PERSON, proxyIdentity: 'document-b', relationship: 'other', ...failed } as const;
      const { result, session } = await runSession(
        rig,
        card,
        (view) =>
          view.screen === 'route-choice'
            ? { type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' }
            : view.screen === 'proxy-check'
              ? { type: 'PROXY_CHECKED', checks }
              : resident(card)(view),
        { profile: 'counter' },
      );
      expect(result).toEqual({ end: 'handed-off', handOff });
      const details = eventsAndDetails(rowsOf(session));
      expect(details).toContainEqual({
        event: 'proxy-checked',
        detail: { kind: 'voluntary-proxy', result: 'rejected', rejection: handOff },
      });
      expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'proxy', slip: true } });
    },
    60_000,
  );
});

describe('the hand-off row of a card the kiosk cannot renew at all', () => {
  it.each([
    ['an Android smartphone', 'smartphone', 'card-error', (jpki) => ({ ...jpki, tokenLabel: TOKEN_LABEL.androidPhone })],
    ['an iPhone', 'smartphone', 'card-error', (jpki) => ({ ...jpki, tokenLabel: TOKEN_LABEL.iPhone })],
    ['a token of an unknown kind', 'unrecognised-card', 'card-error', (jpki) => ({ ...jpki, tokenLabel: 'JPKIAPNEWTOKEN' })],
    ['an old Juki card', 'juki-card', 'new-card-route', (jpki) => ({ ...jpki, tokenLabel: TOKEN_LABEL.jukiCard })],
    ['a card without the JPKI application', 'not-a-my-number-card', 'card-error', () => undefined],
    [
      'a card whose authentication certificate is gone',
      'no-valid-authentication-certificate',
      'card-error',
      (jpki) => ({ ...jpki, authentication: { ...jpki.authentication, certificate: undefined } }),
    ],
  ] as const satisfies readonly (readonly [string, string, string, Parameters<Rig['cardAs']>[0]])[])(
    '%s: %s → %s, and the service is never asked about it',
    async (_card, handOff, reason, change) => {
      const card = await rig.cardAs(change);
      const { gateway, asked } = countingLookups(rig.jlis);
      const { result, session } = await runSession(rig, card, resident(card), { gateway });
      expect(result).toEqual({ end: 'handed-off', handOff });
      expect(asked()).toBe(0);
      expect(eventsAndDetails(rowsOf(session)).filter((row) => row.event === 'hand-off')).toEqual([
        { event: 'hand-off', detail: { reason, slip: true } },
      ]);
    },
    60_000,
  );
});

describe('a customer session and the issuing service', () => {
  it('decides offline when the service cannot be reached, and says so', async () => {
    const card = await rig.card('standard-in-window');
    const { gateway: down, asked } = countingLookups(rig.jlis, () => Promise.reject(new Error('connection refused')));
    const { result, session, views } = await runSession(rig, card, resident(card), { gateway: down });
    expect(asked()).toBe(1);
    // The PINs are still checked offline (the resident learns a wrong one now), then the counter takes over.
    expect(result).toEqual({ end: 'handed-off', handOff: 'service-unavailable' });
    expect(views.some((view) => view.screen === 'hand-off')).toBe(true);
    const details = eventsAndDetails(rowsOf(session));
    expect(details).toContainEqual({ event: 'eligibility-decided', detail: { decision: 'hand-off' } });
    expect(details.filter((row) => row.event === 'pin-verified')).toHaveLength(3);
    expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'service-closed', slip: true } });
  }, 60_000);

  it('hands off a renewal the service fails, naming the service in the log', async () => {
    const card = await rig.card('standard-in-window');
    rig.jlis.setFault('issue', { kind: 'server-error', times: 1 });
    try {
      const { result, session } = await runSession(rig, card, resident(card));
      expect(result).toMatchObject({ end: 'handed-off', handOff: 'gateway-failure' });
      expect(eventsAndDetails(rowsOf(session))).toContainEqual({ event: 'hand-off', detail: { reason: 'gateway-failure', slip: true } });
      expect(card.heldSet()).toBe('old');
    } finally {
      rig.jlis.clearFaults();
    }
  }, 60_000);
});

/** A lobby renewal whose card leaves before the first command `pullsBefore` picks, failing as `failure` says, and comes back. */
async function renewPulledOnce(card: RigCard, pullsBefore: (command: Uint8Array) => boolean, failure?: () => Error) {
  let pulled = false;
  let running: CustomerSession | undefined;
  const run = await runSession(
    rig,
    card,
    (view, current) => {
      if (view.screen !== 'card-away') return resident(card)(view);
      queueMicrotask(() => {
        card.reader.insert(card.card);
        current.cardInserted();
      });
      return undefined;
    },
    {
      onStart: (started) => (running = started),
      connect: connectTo(
        card,
        (command) => !pulled && pullsBefore(command),
        () => {
          pulled = true;
          running!.cardRemoved();
        },
        failure,
      ),
    },
  );
  expect(pulled).toBe(true);
  const rows = rowsOf(run.session);
  return { ...run, rows, details: eventsAndDetails(rows), renewalId: rows.find((row) => row.event === 'renewal-started')?.renewalId };
}

/** COMMIT of the issuer channel: 80 E8 00 00 (docs/card-protocol.md). */
const isCommit = (command: Uint8Array) => command[0] === 0x80 && command[1] === 0xe8 && command[2] === 0x00;

describe('a card pulled during the renewal', () => {
  it('is recorded as pulled mid-renewal, and the renewal resumes from its last step when the card is back', async () => {
    const card = await rig.card('standard-in-window');
    const { result, details, rows, renewalId, views } = await renewPulledOnce(card, isCommit);
    expect(result.end).toBe('renewed');
    expect(details).toContainEqual({ event: 'card-removed', detail: { midRenewal: true } });
    const resumed = rows.find((row) => row.event === 'renewal-resumed');
    expect(resumed).toMatchObject({ renewalId, detail: { step: 'committed', state: 'started' } });
    expect(card.heldSet()).toBe('new');
    // The progress screen named each step under way: the pull at the commit lost the staged keys, so it began again.
    const shown = views.filter((view) => view.screen === 'renewing' && view.progress).map((view) => view.progress!.step);
    expect(shown.filter((step, index) => step !== shown[index - 1])).toEqual([
      'preparing',
      'creating-keys',
      'issuing',
      'writing',
      'preparing',
      'creating-keys',
      'preparing',
      'creating-keys',
      'issuing',
      'writing',
      'finishing',
    ]);
  }, 90_000);

  it('after the commit: the card now shows its new certificate, and the renewal still resumes against the old serial', async () => {
    const card = await rig.card('standard-in-window');
    let committed = false;
    // The first SIGN (80 2A) after the commit: the new keys' check in the verify step.
    const { result, rows, renewalId } = await renewPulledOnce(card, (command) => {
      if (isCommit(command)) committed = true;
      return committed && command[0] === 0x80 && command[1] === 0x2a;
    });
    expect(result.end).toBe('renewed');
    expect(result.outcome?.renewalId).toBe(renewalId);
    expect(rows.find((row) => row.event === 'renewal-resumed')).toMatchObject({
      renewalId,
      detail: { step: 'verified', state: 'started' },
    });
    expect(card.heldSet()).toBe('new');
    expect((await rig.issuesPerRenewal()).get(renewalId!)).toBe(1);
  }, 90_000);

  it('once the card is back, a later failure is that failure again: the service failing the issue is a hand-off, not a pull', async () => {
    const card = await rig.card('standard-in-window');
    rig.jlis.setFault('issue', { kind: 'server-error', times: 1 });
    try {
      // GENERATE KEY PAIR (80 46): the card leaves before the service is asked to issue.
      const { result, details, views } = await renewPulledOnce(card, (command) => command[0] === 0x80 && command[1] === 0x46);
      expect(result).toMatchObject({ end: 'handed-off', handOff: 'gateway-failure' });
      expect(views.filter((view) => view.screen === 'card-away')).toHaveLength(1);
      expect(details).toContainEqual({ event: 'hand-off', detail: { reason: 'gateway-failure', slip: true } });
      expect(card.heldSet()).toBe('old');
    } finally {
      rig.jlis.clearFaults();
    }
  }, 90_000);

  it.each([
    ['an unclassified error', () => new Error('SCardTransmit failed')],
    ['a mute card', () => new ReaderError('card-unresponsive', 'the card did not answer')],
    ['a failed transmit', () => new ReaderError('transmit-failed', 'SCardTransmit failed')],
    // As a ReaderError arrives after crossing a thread or process boundary: its code kept, its class lost.
    ['a pull that lost its class', () => Object.assign(new Error('the card was pulled'), { code: 'card-removed' })],
  ] as const)(
    'whatever error the command ended with once the card was reported gone (%s): it is the pull, and the session waits',
    async (_error, failure) => {
      const card = await rig.card('standard-in-window');
      const { result, details, views } = await renewPulledOnce(card, isCommit, failure);
      expect(views.map((view) => view.screen)).toContain('card-away');
      expect(result.end).toBe('renewed');
      expect(details.map((row) => row.event)).not.toContain('hand-off');
    },
    90_000,
  );
});

describe('a renewal an earlier session left unfinished', () => {
  it('begun with no step yet written (the power went at once): resumed from the issuer proof, under its own id', async () => {
    const card = await rig.card('standard-in-window');
    // The session knows a card by its token label and authentication certificate.
    const { tokenLabel, authenticationSerial } = card.identity;
    const renewalId = rig.journal.beginRenewal({ tokenLabel, authenticationSerial }, 'in-person');
    const { result, session } = await runSession(rig, card, resident(card));
    expect(result.end).toBe('renewed');
    expect(result.outcome?.renewalId).toBe(renewalId);
    expect(rowsOf(session).filter((row) => row.event.startsWith('renewal-'))).toMatchObject([
      { event: 'renewal-resumed', renewalId, detail: { step: 'issuer-proof', state: 'started' } },
      { event: 'renewal-done', renewalId },
    ]);
    expect(card.heldSet()).toBe('new');
  }, 60_000);
});

describe('a renewal cut by the power after the commit', () => {
  it('is resumed by the next session, which reads the new certificate: still against the old serial, to the end', async () => {
    const card = await rig.card('standard-in-window');
    let renewalId = '';
    await new Promise<void>((resolve) => {
      let running: CustomerSession;
      const gateway = overriding<IssuanceGateway>(rig.jlis, {
        // Old-revoked, after the commit: the power goes before the service hears of it.
        confirmWritten: (id) => {
          renewalId = id;
          running.abandon();
          resolve();
          return Promise.reject(new Error('the power went'));
        },
      });
      void runSession(rig, card, resident(card), { gateway, onStart: (started) => (running = started) });
    });
    expect(card.heldSet()).toBe('new');
    const { result, session } = await runSession(rig, card, resident(card));
    expect(result.end).toBe('renewed');
    expect(result.outcome?.renewalId).toBe(renewalId);
    expect(rowsOf(session).find((row) => row.event === 'renewal-resumed')).toMatchObject({
      renewalId,
      detail: { step: 'old-revoked', state: 'started' },
    });
    expect((await rig.issuesPerRenewal()).get(renewalId)).toBe(1);
  }, 90_000);
});

describe('the new PIN typed twice at the counter', () => {
  it('is asked again when the second entry is longer than the first, then set when both agree', async () => {
    const card = await rig.card('authentication-pin-locked');
    let second = 0;
    const { result, views } = await runSession(
      rig,
      card,
      (view) =>
        view.screen === 'new-pin-again' && second++ === 0 ? { type: 'SUBMIT_NEW_PIN_AGAIN', value: '86420' } : atCounter(card)(view),
      { profile: 'counter' },
    );
    expect(views.filter((view) => view.screen === 'new-pin').map((view) => view.pin?.lastAttempt)).toContain('mismatch');
    expect(second).toBe(2);
    expect(result.end).toBe('renewed');
  }, 60_000);

  it('a malformed first entry is refused where it was typed: asked again, not taken as the first of two', async () => {
    const card = await rig.card('authentication-pin-locked');
    let first = 0;
    const { result, views, session } = await runSession(
      rig,
      card,
      (view) => (view.screen === 'new-pin' && first++ === 0 ? { type: 'SUBMIT_NEW_PIN', value: '86a2' } : atCounter(card)(view)),
      { profile: 'counter' },
    );
    const screens = views.map((view) => view.screen);
    const newPin = screens.indexOf('new-pin');
    expect(views[newPin + 1]).toMatchObject({ screen: 'new-pin', pin: { lastAttempt: 'malformed' } });
    expect(screens.filter((screen) => screen === 'new-pin-again')).toHaveLength(1);
    expect(first).toBe(2);
    expect(result.end).toBe('renewed');
    expect(eventsAndDetails(rowsOf(session))).toContainEqual({
      event: 'pin-reset',
      detail: { credential: 'authentication-pin', result: 'done' },
    });
  }, 60_000);
});

describe('the power going mid-session', () => {
  it('stops the session where it is: no row after, no listener told, the card unpowered, no ending', async () => {
    const card = await rig.card('standard-in-window');
    let told = 0;
    let abandonedAt: number | undefined;
    const { session } = await new Promise<{ session: CustomerSession }>((resolve) => {
      const started = new CustomerSession({
        profile: 'lobby',
        connect: connectTo(card),
        gateway: rig.jlis,
        journal: rig.journal,
        audit: rig.audit,
        now: () => new Date(`${card.persona.resolvedOn}T01:00:00Z`),
      });
      started.subscribe((view) => {
        if (abandonedAt !== undefined) told++;
        if (view.screen === 'status') queueMicrotask(() => started.send({ type: 'CONTINUE' }));
        if (view.screen === 'pin-entry' && view.pin?.name === 'registry' && abandonedAt === undefined) {
          queueMicrotask(() => {
            started.send({ type: 'SUBMIT_PIN', value: card.persona.pins!.registry!.value });
            abandonedAt = rowsOf(started).length;
            started.abandon();
            setTimeout(() => resolve({ session: started }), 200);
          });
        }
      });
    });
    expect(rowsOf(session)).toHaveLength(abandonedAt!);
    expect(told).toBe(0);
    const ended = await Promise.race([
      session.done.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 50)),
    ]);
    expect(ended).toBe('pending');
    // Unpowered: the verification of the registry PIN (if it reached the card) is gone.
    const { client } = await card.client();
    expect(await client.pinStatus('registry')).toEqual({ state: 'available', triesLeft: 3 });
  }, 60_000);
});

describe('the power going while the issuing service answers', () => {
  // issuedFor is asked before the keys' step starts, issue within its own step: the answer would be the next journal row.
  it.each(['issuedFor', 'issue'] as const)(
    'during %s: the journal stays as the cut left it, the answer is not written, and nothing reaches the card',
    async (method) => {
      const card = await rig.card('standard-in-window');
      let answer!: () => void;
      const answered = new Promise<void>((resolve) => (answer = resolve));
      let atCut: { lastStep: unknown; lastState: unknown } | undefined;
      let late: Promise<unknown> | undefined;
      let renewalId = '';
      await new Promise<void>((resolve) => {
        let running: CustomerSession;
        const cutWhileAsked = <T>(id: string, ask: () => Promise<T>): Promise<T> => {
          renewalId = id;
          const record = rig.journal.get(id)!;
          atCut = { lastStep: record.lastStep, lastState: record.lastState };
          running.abandon();
          resolve();
          const answering = answered.then(ask);
          late = answering;
          return answering;
        };
        const gateway = overriding<IssuanceGateway>(rig.jlis, {
          [method]:
            method === 'issue'
              ? (request: RenewalRequest) => cutWhileAsked(request.renewalId, () => rig.jlis.issue(request))
              : (id: string) => cutWhileAsked(id, () => rig.jlis.issuedFor(id)),
        });
        void runSession(rig, card, resident(card), { gateway, onStart: (started) => (running = started) });
      });
      answer();
      await late;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const record = rig.journal.get(renewalId)!;
      expect({ lastStep: record.lastStep, lastState: record.lastState }).toEqual(atCut);
      expect(card.heldSet()).toBe('old');
    },
    60_000,
  );
});

/** Whether the card still counts the authentication PIN as verified: a SIGN with its key goes through only then. */
async function authenticationKeySigns(card: RigCard): Promise<boolean> {
  const { client } = await card.client();
  // A SHA-256 DigestInfo (RFC 8017) over 32 zero bytes.
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), Buffer.alloc(32)]);
  return client.sign('authentication', digestInfo).then(
    () => true,
    (error: unknown) => {
      expect(error).toBeInstanceOf(CardStatusError);
      return false;
    },
  );
}

describe('the card at the end of a session', () => {
  it('is unpowered when the session ends: the PINs verified in it no longer count', async () => {
    const card = await rig.card('standard-in-window');
    const { result } = await runSession(rig, card, (view) => (view.screen === 'confirm' ? { type: 'CANCEL' } : resident(card)(view)));
    expect(result.end).toBe('cancelled');
    expect(await authenticationKeySigns(card)).toBe(false);
  }, 60_000);

  it('is unpowered by a power cut after the PINs were verified, and nothing more is written', async () => {
    const card = await rig.card('standard-in-window');
    let rowsAtCut = 0;
    const cut = await new Promise<CustomerSession>((resolve) => {
      void runSession(rig, card, (view, session) => {
        if (view.screen !== 'confirm') return resident(card)(view);
        rowsAtCut = rowsOf(session).length;
        session.abandon();
        resolve(session);
        return undefined;
      });
    });
    expect(await authenticationKeySigns(card)).toBe(false);
    cut.cardRemoved();
    expect(rowsOf(cut)).toHaveLength(rowsAtCut);
  }, 60_000);
});

describe('listeners', () => {
  it('hear each new view once, and nothing once they unsubscribe', async () => {
    const card = await rig.card('not-yet-in-window');
    const heard: string[] = [];
    let unsubscribe: (() => void) | undefined;
    const { views } = await runSession(rig, card, resident(card), {
      onStart: (session) => {
        unsubscribe = session.subscribe((view) => {
          heard.push(JSON.stringify(view));
          if (view.screen === 'not-yet') unsubscribe!();
        });
      },
    });
    // No view twice in a row: a listener hears a view only when it changed.
    for (let index = 1; index < heard.length; index++) expect(heard[index]).not.toBe(heard[index - 1]);
    expect(JSON.parse(heard.at(-1)!)).toMatchObject({ screen: 'not-yet' });
    expect(views.at(-1)?.screen).toBe('ended');
  }, 60_000);
});
