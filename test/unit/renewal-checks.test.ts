import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import { CardStatusError } from '../../main/card/status-words';
import type { IssuanceGateway, RenewalRequest } from '../../main/issuance/gateway';
import type { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { RenewalError, runRenewal, type RenewalContext, type RenewalPlan } from '../../main/session/renewal';
import { RENEWAL_STEPS, type RenewalStep, type StepState } from '../../main/store/journal';
import { overriding, renewalRig, type Rig, type RigCard } from '../support/renewal-rig';

// What the renewal checks and records at each step (docs/domain.md, "In
// person"; docs/card-protocol.md, "Recovery"), with the issuing service, the
// card and the journal each made to answer wrongly in one place. A wrong
// answer stops the renewal with the step it broke, so the session hands off
// with the right reason and the journal resumes from the right place.

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());

/** The issuing service as the rig has it, with some answers replaced. */
const gatewayWith = (overrides: Partial<IssuanceGateway> = {}): IssuanceGateway => overriding<IssuanceGateway>(rig.jlis, overrides);

/** The card client with some commands answering otherwise. */
const clientWith = (client: IssuerChannelClient, overrides: Partial<IssuerChannelClient>): IssuerChannelClient =>
  overriding(client, overrides);

interface Attempt {
  context: RenewalContext;
  /** The card client itself, on the attempt's connection. */
  client: IssuerChannelClient;
  /** From now on the journal writes succeed. */
  heal: () => void;
  plan: RenewalPlan;
  /** The step the renewal last journalled as started. */
  step: () => RenewalStep | undefined;
}

/**
 * A renewal of `card` with its PINs verified: the rig's journal, which fails
 * the write of `failAt` (a full disk), and records which step is under way.
 */
async function attempt(
  card: RigCard,
  options: {
    gateway?: Partial<IssuanceGateway>;
    client?: (client: IssuerChannelClient, step: () => RenewalStep | undefined) => Partial<IssuerChannelClient>;
    now?: () => Date;
    signature?: boolean;
    renewalId?: string;
    failAt?: [RenewalStep, StepState];
  } = {},
): Promise<Attempt> {
  const { client } = await card.client();
  await card.verifyPins(client);
  let under: RenewalStep | undefined;
  let failAt = options.failAt;
  const step = () => under;
  const base = card.context(options.client ? clientWith(client, options.client(client, step)) : client);
  const fail = (renewalStep: RenewalStep, state: StepState) => {
    if (failAt?.[0] === renewalStep && failAt[1] === state) throw new Error('disk full');
  };
  const context: RenewalContext = {
    ...base,
    gateway: gatewayWith(options.gateway),
    ...(options.now ? { now: options.now } : {}),
    journal: {
      stepStarted: ((renewalId: string, renewalStep: RenewalStep, data?: unknown, session?: object) => {
        fail(renewalStep, 'started');
        under = renewalStep;
        (rig.journal.stepStarted as (...args: unknown[]) => void)(renewalId, renewalStep, data, session);
      }) as RenewalContext['journal']['stepStarted'],
      stepFinished: ((renewalId: string, renewalStep: RenewalStep, data?: unknown, session?: object) => {
        fail(renewalStep, 'finished');
        (rig.journal.stepFinished as (...args: unknown[]) => void)(renewalId, renewalStep, data, session);
      }) as RenewalContext['journal']['stepFinished'],
    },
  };
  const plan: RenewalPlan = {
    renewalId: options.renewalId ?? rig.journal.beginRenewal(card.identity, 'in-person'),
    oldAuthenticationSerial: card.identity.authenticationSerial,
    signature: options.signature ?? card.hasSignature,
    route: 'in-person',
  };
  return { context, client, heal: () => (failAt = undefined), plan, step };
}

/** How a renewal failed: the error it threw. */
async function failure(run: Attempt): Promise<RenewalError> {
  const error = await runRenewal(run.context, run.plan).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RenewalError);
  return error as RenewalError;
}

/** The certificate on the card for `slot`, as the card image holds it. */
function certificateOnCard(card: VirtualMyNumberCard, slot: 'authentication' | 'signature'): X509Certificate {
  return new X509Certificate(Buffer.from(card.snapshot().jpki![slot].certificate!, 'base64'));
}

/** The journal's key fingerprint of a certificate's key: SHA-256 of its SubjectPublicKeyInfo DER, in hex. */
function fingerprintOf(certificate: X509Certificate): string {
  return createHash('sha256')
    .update(certificate.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The Japan date (UTC+9, no daylight saving) of an instant. */
function japanDateOf(at: Date): string {
  return new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

/** Every step of a renewal, started and finished, in the journal's order (docs/architecture.md, "Steps, in order"). */
const EVERY_STEP_ROW = RENEWAL_STEPS.flatMap((step) => [`${step} started`, `${step} finished`]);

/** What a renewal id's journal rows carry, as `step state` → data. */
function rowsOf(renewalId: string): { row: string; data: Record<string, unknown> }[] {
  return rig.journal.get(renewalId)!.steps.map((row) => ({ row: `${row.step} ${row.state}`, data: row.data }));
}

/** The journal data a renewal of `card` should have recorded, written out from the certificates the card now holds. */
function expectedData(card: VirtualMyNumberCard, slots: readonly ('authentication' | 'signature')[], renewedOn: string) {
  const keys = Object.fromEntries(slots.map((slot) => [slot, fingerprintOf(certificateOnCard(card, slot))]));
  const issued = Object.fromEntries(
    slots.map((slot) => {
      const certificate = certificateOnCard(card, slot);
      return [slot, { serialNumber: certificate.serialNumber.toUpperCase(), notAfter: new Date(certificate.validTo).toISOString() }];
    }),
  );
  return { keys, issued, renewedOn };
}

describe('what a renewal records', () => {
  it('journals the new keys’ fingerprints, the renewal date and the issued serials, and returns what the card holds', async () => {
    const card = await rig.card('standard-in-window');
    const run = await attempt(card);
    const outcome = await runRenewal(run.context, run.plan);

    const expected = expectedData(card.card, ['authentication', 'signature'], japanDateOf(new Date()));
    const rows = rowsOf(run.plan.renewalId);
    const data = (row: string) => rows.find((entry) => entry.row === row)?.data;
    expect(data('keys-generated finished')).toEqual(expected.keys);
    expect(data('certificates-requested started')).toEqual({ renewedOn: expected.renewedOn });
    expect(data('certificates-issued finished')).toEqual(expected.issued);
    expect(outcome).toEqual({ renewalId: run.plan.renewalId, ...expected.issued });
    expect(rows.map((entry) => entry.row)).toEqual(EVERY_STEP_ROW);
  }, 90_000);

  it('on resuming a committed card, journals the steps it finds done with the same data, and revokes the old set', async () => {
    const card = await rig.card('standard-in-window');
    const oldAuthentication = certificateOnCard(card.card, 'authentication');
    // The revocation's answer is lost: the card holds the new set, the old one is still valid.
    const first = await attempt(card, {
      gateway: { confirmWritten: () => Promise.reject(new Error('the issuing service did not answer')) },
    });
    const broken = await failure(first);
    expect(broken.step).toBe('old-revoked');
    expect(broken.message).toBe('old-revoked: the issuing service did not answer');
    expect(broken.cause).toBeInstanceOf(Error);
    expect(card.heldSet()).toBe('new');
    const before = rowsOf(first.plan.renewalId).length;

    card.card.powerDown();
    const again = await attempt(card, {
      renewalId: first.plan.renewalId,
      // The card already holds the issued set as current: no key is made and nothing is written to it again.
      client: () => ({
        generateKeyPair: (slot) => Promise.reject(new Error(`a ${slot} key generated again`)),
        writeStagedCertificate: (slot) => Promise.reject(new Error(`the ${slot} certificate written again`)),
        commit: () => Promise.reject(new Error('committed again')),
      }),
    });
    const outcome = await runRenewal(again.context, again.plan);
    expect(outcome.renewalId).toBe(first.plan.renewalId);

    const expected = expectedData(card.card, ['authentication', 'signature'], japanDateOf(new Date()));
    const resumed = rowsOf(first.plan.renewalId).slice(before);
    expect(resumed.map((entry) => entry.row)).toEqual(EVERY_STEP_ROW);
    const data = (row: string) => resumed.find((entry) => entry.row === row)?.data;
    expect(data('keys-generated finished')).toEqual(expected.keys);
    expect(data('certificates-requested started')).toEqual({ renewedOn: expected.renewedOn });
    expect(data('certificates-issued finished')).toEqual(expected.issued);
    expect(outcome).toEqual({ renewalId: first.plan.renewalId, ...expected.issued });
    expect(await rig.jlis.certificateStatus(oldAuthentication.raw)).toBe('revoked');
    expect((await rig.issuesPerRenewal()).get(first.plan.renewalId)).toBe(1);
  }, 90_000);

  it('resumes a card that made its new keys current before their certificates came, with those keys and no second issue', async () => {
    const card = await rig.card('standard-in-window');
    const first = await attempt(card, { failAt: ['certificates-written', 'started'] });
    await expect(runRenewal(first.context, first.plan)).rejects.toThrow('disk full');
    const keysBefore = rowsOf(first.plan.renewalId).find((entry) => entry.row === 'keys-generated finished')!.data;
    const before = rowsOf(first.plan.renewalId).length;

    // docs/card-protocol.md, "Recovery must not depend on the atomic commit": a card that
    // reports the keys it generated as current while its certificate EF still holds the old one.
    first.heal();
    let generated = 0;
    const again = {
      plan: first.plan,
      context: {
        ...first.context,
        client: clientWith(first.client, {
          readPublicKey: (slot, which) =>
            which === 'current' ? first.client.readPublicKey(slot, 'staged') : Promise.reject(new Error(`the ${which} key was asked for`)),
          generateKeyPair: (slot) => {
            generated++;
            return first.client.generateKeyPair(slot);
          },
        }),
      },
    };
    const outcome = await runRenewal(again.context, again.plan);
    expect(outcome.renewalId).toBe(first.plan.renewalId);
    expect(generated).toBe(0);
    expect(card.heldSet()).toBe('new');
    const expected = expectedData(card.card, ['authentication', 'signature'], japanDateOf(new Date()));
    expect(expected.keys).toEqual(keysBefore);
    const resumed = rowsOf(first.plan.renewalId).slice(before);
    const data = (row: string) => resumed.find((entry) => entry.row === row)?.data;
    expect(data('keys-generated finished')).toEqual(expected.keys);
    expect(data('certificates-requested started')).toEqual({ renewedOn: expected.renewedOn });
    expect(data('certificates-issued finished')).toEqual(expected.issued);
    expect(resumed.map((entry) => entry.row)).toContain('certificates-written finished');
    expect((await rig.issuesPerRenewal()).get(first.plan.renewalId)).toBe(1);
    expect(rig.journal.get(first.plan.renewalId)?.state).toBe('done');
  }, 90_000);

  it('on resuming, a set found issued without the signature certificate asked for: voided, and issued again under a new id', async () => {
    const card = await rig.card('standard-in-window');
    const first = await attempt(card, { failAt: ['certificates-written', 'started'] });
    await expect(runRenewal(first.context, first.plan)).rejects.toThrow('disk full');
    first.heal();
    const again = {
      plan: first.plan,
      context: {
        ...first.context,
        gateway: gatewayWith({
          issuedFor: async (renewalId) => {
            const set = await rig.jlis.issuedFor(renewalId);
            return set && { renewalId: set.renewalId, authentication: set.authentication };
          },
        }),
        // As above: the card made its new keys current, so the authentication key fits the set found and the signature key does not.
        client: clientWith(first.client, {
          readPublicKey: (slot, which) =>
            which === 'current' ? first.client.readPublicKey(slot, 'staged') : Promise.reject(new Error(`the ${which} key was asked for`)),
        }),
      },
    };
    const outcome = await runRenewal(again.context, again.plan);
    expect(outcome.renewalId).not.toBe(first.plan.renewalId);
    expect(outcome.signature).toBeDefined();
    expect(card.heldSet()).toBe('new');
    expect(rig.journal.get(first.plan.renewalId)).toMatchObject({ state: 'abandoned', abandonReason: 'rolled-back' });
    expect(await rig.jlis.issuedFor(first.plan.renewalId)).toBeUndefined();
    expect((await rig.issuesPerRenewal()).get(outcome.renewalId)).toBe(1);
  }, 90_000);

  it('after a staged set was lost, records the new keys under the new renewal id and issues for them there', async () => {
    const card = await rig.card('standard-in-window');
    const first = await attempt(card, { failAt: ['certificates-written', 'started'] });
    await expect(runRenewal(first.context, first.plan)).rejects.toThrow('disk full');
    card.card.powerDown();
    const again = await attempt(card, { renewalId: first.plan.renewalId });
    const outcome = await runRenewal(again.context, again.plan);
    expect(outcome.renewalId).not.toBe(first.plan.renewalId);
    expect(rig.journal.get(first.plan.renewalId)).toMatchObject({ state: 'abandoned', abandonReason: 'rolled-back' });
    const expected = expectedData(card.card, ['authentication', 'signature'], japanDateOf(new Date()));
    const rows = rowsOf(outcome.renewalId);
    expect(rows.slice(0, 4)).toEqual([
      { row: 'issuer-proof started', data: {} },
      { row: 'issuer-proof finished', data: {} },
      { row: 'keys-generated started', data: {} },
      { row: 'keys-generated finished', data: expected.keys },
    ]);
    expect(rows.find((entry) => entry.row === 'certificates-issued finished')?.data).toEqual(expected.issued);
    // The first id's set was voided: nothing it issued is still standing.
    expect(await rig.jlis.issuedFor(first.plan.renewalId)).toBeUndefined();
  }, 90_000);
});

describe('the renewal refuses a wrong answer, naming the step it broke', () => {
  it('an issuer proof the card refuses: the card’s status word, the card error as the cause', async () => {
    const card = await rig.card('standard-in-window');
    const run = await attempt(card, { gateway: { issuerProof: () => Promise.resolve(new Uint8Array(256).fill(7)) } });
    const error = await failure(run);
    expect(error.step).toBe('issuer-proof');
    expect(error.message).toMatch(/^issuer-proof: the card refused the issuing service's proof \([0-9A-F]{4}\)$/);
    expect(error.cause).toBeInstanceOf(CardStatusError);
    expect(error.message).toContain(`(${(error.cause as CardStatusError).sw.toString(16).toUpperCase()})`);
    expect(card.heldSet()).toBe('old');
  }, 60_000);

  it('a possession challenge for another renewal id', async () => {
    const card = await rig.card('standard-in-window');
    const run = await attempt(card, {
      gateway: {
        possessionChallenge: async (renewalId, serial) => ({
          ...(await rig.jlis.possessionChallenge(renewalId, serial)),
          renewalId: 'R-OTHER',
        }),
      },
    });
    const error = await failure(run);
    expect(error.step).toBe('certificates-requested');
    expect(error.message).toBe(`certificates-requested: the issuing service answered for renewal R-OTHER, not ${run.plan.renewalId}`);
    expect(card.heldSet()).toBe('old');
  }, 60_000);

  it('an issued set whose certificates are swapped, or that lacks the signature certificate asked for', async () => {
    const card = await rig.card('standard-in-window');
    const swapped = await attempt(card, {
      gateway: {
        issue: async (request) => {
          const set = await rig.jlis.issue(request);
          return { ...set, authentication: set.signature!, signature: set.authentication };
        },
      },
    });
    const error = await failure(swapped);
    expect(error.step).toBe('certificates-issued');
    expect(error.message).toBe(
      "certificates-issued: the issuing service returned a authentication certificate that is not for the card's new key",
    );
    expect(card.heldSet()).toBe('old');

    const other = await rig.card('standard-in-window');
    const halfSet = await attempt(other, {
      gateway: {
        issue: async (request) => {
          const { signature: _left, ...set } = await rig.jlis.issue(request);
          return set;
        },
      },
    });
    const missing = await failure(halfSet);
    expect(missing.message).toBe(
      "certificates-issued: the issuing service returned a signature certificate that is not for the card's new key",
    );
    expect(other.heldSet()).toBe('old');
  }, 90_000);

  it('a service failure carries the step; a renewal error from below keeps its own', async () => {
    const card = await rig.card('standard-in-window');
    const cause = new Error('503 from the issuing service');
    const run = await attempt(card, { gateway: { issue: () => Promise.reject(cause) } });
    const error = await failure(run);
    expect(error).toMatchObject({ step: 'certificates-issued', message: 'certificates-issued: 503 from the issuing service', cause });
    expect(error.name).toBe('RenewalError');

    const inner = new RenewalError('verified', 'already classified');
    const other = await attempt(await rig.card('standard-in-window'), { gateway: { issuedFor: () => Promise.reject(inner) } });
    expect(await failure(other)).toBe(inner);
  }, 90_000);

  it.each([
    ['issuerProof', 'issuer-proof'],
    ['issuedFor', 'certificates-issued'],
    ['possessionChallenge', 'certificates-requested'],
    ['certificateStatus', 'verified'],
  ] as const)(
    'the service failing at %s: the step %s',
    async (operation, step) => {
      const card = await rig.card('under-15-no-signature');
      const cause = new Error('the issuing service did not answer');
      const error = await failure(await attempt(card, { gateway: { [operation]: () => Promise.reject(cause) } }));
      expect(error).toMatchObject({ step, message: `${step}: the issuing service did not answer`, cause });
    },
    60_000,
  );

  it("a set found issued under this renewal that is the card's own current one: refused, the card untouched, nothing revoked", async () => {
    const card = await rig.card('standard-in-window');
    const onCard = (slot: 'authentication' | 'signature') => {
      const certificate = certificateOnCard(card.card, slot);
      return {
        der: new Uint8Array(certificate.raw),
        serialNumber: certificate.serialNumber.toUpperCase(),
        notAfter: new Date(certificate.validTo),
      };
    };
    const run = await attempt(card, {
      gateway: {
        issuedFor: (renewalId) => Promise.resolve({ renewalId, authentication: onCard('authentication'), signature: onCard('signature') }),
      },
    });
    const broken = await failure(run);
    expect(broken.step).toBe('certificates-issued');
    expect(broken.message).toBe(
      "certificates-issued: the issuing service answered the card's current certificate as issued for this renewal",
    );
    expect(card.heldSet()).toBe('old');
    expect(await rig.jlis.certificateStatus(onCard('authentication').der)).toBe('valid');
  }, 60_000);

  it('the void of a set issued for lost keys failing: the step certificates-issued, the old id already retired', async () => {
    const card = await rig.card('under-15-no-signature');
    const first = await attempt(card, { failAt: ['certificates-written', 'started'] });
    await expect(runRenewal(first.context, first.plan)).rejects.toThrow('disk full');
    card.card.powerDown();
    const cause = new Error('the issuing service did not answer');
    const again = await attempt(card, { renewalId: first.plan.renewalId, gateway: { voidUnconfirmed: () => Promise.reject(cause) } });
    expect(await failure(again)).toMatchObject({
      step: 'certificates-issued',
      message: 'certificates-issued: the issuing service did not answer',
    });
    expect(rig.journal.get(first.plan.renewalId)).toMatchObject({ state: 'abandoned', abandonReason: 'rolled-back' });
  }, 60_000);

  it('a certificate read back that is not the one issued, or none at all', async () => {
    for (const answer of ['old', 'none'] as const) {
      const card = await rig.card('under-15-no-signature');
      const old = new Uint8Array(certificateOnCard(card.card, 'authentication').raw);
      const run = await attempt(card, {
        client: (client, step) => ({
          readCertificate: (slot) =>
            step() === 'verified' ? Promise.resolve(answer === 'old' ? old : undefined) : client.readCertificate(slot),
        }),
      });
      const error = await failure(run);
      expect(error.message, answer).toBe('verified: the authentication certificate read back differs from the one issued');
    }
  }, 90_000);

  it('a new certificate the service does not call valid', async () => {
    const card = await rig.card('standard-in-window');
    const run = await attempt(card, {
      gateway: {
        certificateStatus: async (der) => {
          const status = await rig.jlis.certificateStatus(der);
          return status === 'valid' ? 'revoked' : status;
        },
      },
    });
    const error = await failure(run);
    expect(error.message).toBe('verified: the issuing service calls the new authentication certificate revoked');
  }, 60_000);

  it('a new certificate that has expired by the time it is checked: its last second counts as expired', async () => {
    const card = await rig.card('under-15-no-signature');
    let clock: Date | undefined;
    const run = await attempt(card, {
      now: () => clock ?? new Date(),
      gateway: {
        issue: async (request) => {
          const set = await rig.jlis.issue(request);
          clock = new Date(new X509Certificate(Buffer.from(set.authentication.der)).validTo);
          return set;
        },
      },
    });
    const error = await failure(run);
    expect(error.message).toBe('verified: the new authentication certificate is already expired');
  }, 60_000);

  it('a new key whose signature does not verify with the new certificate', async () => {
    const card = await rig.card('under-15-no-signature');
    const run = await attempt(card, {
      client: (client, step) => ({
        sign: async (slot, digestInfo) => {
          const signature = await client.sign(slot, digestInfo);
          if (step() === 'verified') signature[0]! ^= 0xff;
          return signature;
        },
      }),
    });
    const error = await failure(run);
    expect(error.message).toBe("verified: the new authentication key's signature does not verify with the new certificate");
  }, 60_000);
});

describe('which keys prove possession and which certificates are renewed', () => {
  it('only the authentication key signs, and only its certificate is renewed, when the signature certificate is not renewed', async () => {
    const card = await rig.card('standard-in-window');
    const oldSignature = card.card.snapshot().jpki!.signature.certificate;
    const requests: RenewalRequest[] = [];
    const run = await attempt(card, {
      signature: false,
      gateway: {
        issue: async (request) => {
          requests.push(request);
          // A service that answers with more than was asked: the outcome names only what was renewed.
          const set = await rig.jlis.issue(request);
          return { ...set, signature: set.authentication };
        },
      },
    });
    const outcome = await runRenewal(run.context, run.plan);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.possession.signature).toBeUndefined();
    expect(requests[0]!.publicKeys.signature).toBeUndefined();
    expect(outcome.signature).toBeUndefined();
    expect(card.card.snapshot().jpki!.signature.certificate).toBe(oldSignature);
  }, 60_000);

  it('a signature certificate renewed on a card whose signature certificate file is empty: only the authentication key signs', async () => {
    const card = await rig.card('standard-in-window');
    const requests: RenewalRequest[] = [];
    const run = await attempt(card, {
      client: (client) => ({
        readCertificate: (slot) => (slot === 'signature' ? Promise.resolve(undefined) : client.readCertificate(slot)),
      }),
      gateway: {
        issue: (request) => {
          requests.push(request);
          return Promise.reject(new Error('stopped once asked'));
        },
      },
    });
    expect((await failure(run)).message).toBe('certificates-issued: stopped once asked');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.possession.authentication).toBeInstanceOf(Uint8Array);
    expect(requests[0]!.possession.signature).toBeUndefined();
    expect(requests[0]!.publicKeys.signature).toBeInstanceOf(Uint8Array);
  }, 60_000);

  it('both keys sign when both certificates are renewed, and a new PIN is set only for the slot given one', async () => {
    const card = await rig.card('standard-in-window');
    const requests: RenewalRequest[] = [];
    const run = await attempt(card, {
      gateway: {
        issue: (request) => {
          requests.push(request);
          return rig.jlis.issue(request);
        },
      },
    });
    await runRenewal(run.context, { ...run.plan, newPins: { authentication: '2468' } });
    expect(requests[0]!.possession.signature).toBeInstanceOf(Uint8Array);
    expect(requests[0]!.publicKeys.signature).toBeInstanceOf(Uint8Array);
    card.card.powerDown();
    const { client } = await card.client();
    expect(await client.verify('authentication', '2468')).toEqual({ result: 'verified' });
    expect(await client.verify('signature', card.persona.pins!.signature!.value)).toEqual({ result: 'verified' });
  }, 60_000);
});
