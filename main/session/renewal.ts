import { createHash, randomBytes, verify as verifySignature, X509Certificate } from 'node:crypto';
import { fromHex } from '../card/apdu';
import { CardStatusError, swHex } from '../card/status-words';
import type { IssuerChannelClient, KeySlot } from '../card/issuer-channel-client';
import type { PinValue } from '../card/jpki-client';
import { certifiesModulus, rsaSpkiFromModulus, spkiOfCertificate } from '../card/jpki-certificate';
import type { IssuanceGateway, IssuedCertificate, IssuedSet, PossessionProof } from '../issuance/gateway';
import { possessionMessage } from '../issuance/possession';
import type { RenewalRoute } from '../../preload/vocabulary';
import { japanDate } from '../domain/japan-calendar';
import type { RenewalJournal, RenewalStep, SessionTag, StepWrite } from '../store/journal';

/**
 * The renewal on the card, step by step (docs/domain.md, "In person"):
 * issuer proof → new key pairs → certificate request → issue → write →
 * commit → set PINs → verify → revoke old. Each step is journalled before it
 * is attempted and after it succeeded, so a pulled card, a crash or a network
 * failure leaves a record from which the same card resumes. The journal
 * writes each step's audit row with it, in the same transaction.
 *
 * Resumption does not trust the journal alone: it looks at what the card
 * holds (current keys, the current certificate) and at what the issuing
 * service issued under the renewal id (`issuedFor`), and performs only what is
 * missing. A step found already done is journalled as observed, so every
 * attempt's record runs through the steps in order. It copes with a card that
 * has new keys but no certificate (docs/card-protocol.md, "Recovery").
 *
 * PIN values pass through here only as arguments, on their way to the card.
 */

export interface RenewalPlan {
  renewalId: string;
  /** Serial of the authentication certificate the card had when the renewal began. */
  oldAuthenticationSerial: string;
  /** Renew the signature certificate too (not for under-15s or adult wards, nor when the card has none). */
  signature: boolean;
  /** Who is renewing (the service refuses proxies from a lobby terminal). */
  route: RenewalRoute;
  /**
   * New PIN values, already entered twice and compared by the session; absent = keep the current ones.
   * Bytes stay the caller's to wipe after the renewal (the card client only copies them).
   */
  newPins?: Partial<Record<KeySlot, PinValue>>;
}

export interface RenewalOutcome {
  renewalId: string;
  authentication: { serialNumber: string; notAfter: string };
  signature?: { serialNumber: string; notAfter: string };
}

export class RenewalError extends Error {
  override readonly name = 'RenewalError';
  constructor(
    readonly step: RenewalStep,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${step}: ${message}`, options);
  }
}

export interface RenewalContext {
  client: IssuerChannelClient;
  gateway: IssuanceGateway;
  journal: Pick<RenewalJournal, 'stepStarted' | 'stepFinished'>;
  now: () => Date;
  /**
   * Ends this renewal id as rolled back and opens a new one for the same
   * card (journal.abandon + journal.beginRenewal): used when the card lost
   * the keys that certificates were issued for, so that the issuing service
   * issues at most once per renewal id.
   */
  replaceRenewal: (renewalId: string) => string;
  /** The customer session the renewal runs in (and at a counter its staff member): the audit rows of its steps name them. */
  session?: SessionTag;
}

const SHA256_DIGEST_INFO_PREFIX = fromHex('3031300d060960864801650304020105000420');

export async function runRenewal(context: RenewalContext, plan: RenewalPlan): Promise<RenewalOutcome> {
  const { client, gateway } = context;
  const slots: KeySlot[] = plan.signature ? ['authentication', 'signature'] : ['authentication'];
  let renewalId = plan.renewalId;
  let record = journalFor(context, renewalId);
  const renewedOn = japanDate(context.now());

  // The issuer proof holds until power-down, so every (re)start needs it.
  await record.step('issuer-proof', () => proveIssuer(context, plan, renewalId));

  // What the issuing service already did under this renewal id (a resumed renewal).
  let issued = await call('certificates-issued', () => gateway.issuedFor(renewalId));
  if (issued?.authentication.serialNumber === plan.oldAuthenticationSerial) {
    // Taken for this renewal's, the card's own certificate would be "written" over itself and then revoked by `old-revoked`.
    throw new RenewalError('certificates-issued', "the issuing service answered the card's current certificate as issued for this renewal");
  }
  const committed = issued !== undefined && (await holdsAsCurrent(client, issued.authentication));

  if (committed) {
    const set = issued!;
    record.observed(
      'keys-generated',
      keyFingerprints(slots, (slot) => set[slot]!.der),
    );
    record.observed('certificates-requested', undefined, { renewedOn });
    record.observed('certificates-issued', issuedData(set));
    record.observed('certificates-written');
    record.observed('committed');
  } else {
    // Reuse a current key only when an issued certificate of this renewal is
    // for it (a card that made new keys current before its certificate arrived).
    const keys = await record.step(
      'keys-generated',
      async () => {
        const moduli: Partial<Record<KeySlot, Uint8Array>> = {};
        for (const slot of slots) {
          const current = await client.readPublicKey(slot, 'current');
          moduli[slot] = current && certifiesModulus(issued?.[slot]?.der, current) ? current : await client.generateKeyPair(slot);
        }
        return moduli;
      },
      (moduli) => keyFingerprints(slots, (slot) => moduli[slot]!, true),
    );

    const fits = issued !== undefined && slots.every((slot) => certifiesModulus(issued![slot]?.der, keys[slot]!));
    if (fits) {
      record.observed('certificates-requested', undefined, { renewedOn });
      record.observed('certificates-issued', issuedData(issued!));
    } else {
      if (issued) {
        // Issued for keys the card no longer has (a staged set lost at power-down):
        // void that set and carry on under a new renewal id, never issuing twice under one.
        // The id is retired in the journal before the void is sent: a voided id looks unused
        // to `issuedFor`, so were the void's answer lost, a later attempt would issue under it again.
        const voided = renewalId;
        renewalId = context.replaceRenewal(renewalId);
        await call('certificates-issued', () => gateway.voidUnconfirmed(voided));
        record = journalFor(context, renewalId);
        record.observed('issuer-proof');
        record.observed(
          'keys-generated',
          keyFingerprints(slots, (slot) => keys[slot]!, true),
        );
        issued = undefined;
      }
      const publicKeys = {
        authentication: rsaSpkiFromModulus(keys.authentication!),
        ...(plan.signature ? { signature: rsaSpkiFromModulus(keys.signature!) } : {}),
      };
      // The request is the card's proof that it holds the keys being replaced.
      const possession = await record.step(
        'certificates-requested',
        () => provePossession(context, plan, renewalId, publicKeys),
        undefined,
        { renewedOn },
      );
      issued = await record.step(
        'certificates-issued',
        () =>
          call('certificates-issued', () =>
            gateway.issue({
              renewalId,
              authenticationSerial: plan.oldAuthenticationSerial,
              publicKeys,
              renewedOn,
              route: plan.route,
              possession,
            }),
          ),
        issuedData,
      );
      for (const slot of slots) {
        if (!certifiesModulus(issued[slot]?.der, keys[slot]!)) {
          throw new RenewalError(
            'certificates-issued',
            `the issuing service returned a ${slot} certificate that is not for the card's new key`,
          );
        }
      }
    }
    const set = issued!;
    await record.step('certificates-written', async () => {
      for (const slot of slots) await client.writeStagedCertificate(slot, set[slot]!.der);
    });
    await record.step('committed', () => client.commit());
  }
  const set = issued!;

  await record.step('pins-set', async () => {
    for (const slot of slots) {
      const value = plan.newPins?.[slot];
      if (value !== undefined) await client.changePin(slot, value);
    }
  });
  await record.step('verified', async () => {
    for (const slot of slots) await verifySlot(context, slot, set[slot]!.der);
  });
  await record.step('old-revoked', () => call('old-revoked', () => gateway.confirmWritten(renewalId)));
  await record.step('done', async () => undefined);

  return {
    renewalId,
    authentication: describe(set.authentication),
    ...(set.signature && plan.signature ? { signature: describe(set.signature) } : {}),
  };
}

/** GET CHIP SERIAL, GET CHALLENGE, the service's proof for this card, renewal and purpose, ISSUER AUTHENTICATE. */
async function proveIssuer(context: RenewalContext, plan: RenewalPlan, renewalId: string): Promise<void> {
  const { client, gateway } = context;
  const chipSerial = Buffer.from(await client.chipSerial())
    .toString('hex')
    .toUpperCase();
  const challenge = await client.getChallenge();
  const proof = await call('issuer-proof', () =>
    gateway.issuerProof({
      purpose: 'renewal',
      reference: renewalId,
      chipSerial,
      authenticationSerial: plan.oldAuthenticationSerial,
      challenge,
    }),
  );
  try {
    await client.issuerAuthenticate(proof, { purpose: 'renewal', reference: renewalId });
  } catch (error) {
    // The card refusing the proof means the issuing service's answer was wrong, not the card.
    if (error instanceof CardStatusError)
      throw new RenewalError('issuer-proof', `the card refused the issuing service's proof (${swHex(error.sw)})`, { cause: error });
    throw error;
  }
}

/**
 * The service's nonce for this renewal, signed by the card's current
 * authentication key (and its current signature key when a signature
 * certificate is renewed and the card holds one), over the new keys' hashes.
 * The keys signing are the ones being replaced: the new ones are only staged.
 */
async function provePossession(
  context: RenewalContext,
  plan: RenewalPlan,
  renewalId: string,
  publicKeys: { authentication: Uint8Array; signature?: Uint8Array },
): Promise<PossessionProof> {
  const { client, gateway } = context;
  const challenge = await call('certificates-requested', () => gateway.possessionChallenge(renewalId, plan.oldAuthenticationSerial));
  if (challenge.renewalId !== renewalId) {
    throw new RenewalError('certificates-requested', `the issuing service answered for renewal ${challenge.renewalId}, not ${renewalId}`);
  }
  const signWith = async (slot: KeySlot) => {
    const message = possessionMessage({ renewalId, terminalId: challenge.terminalId, nonce: challenge.nonce, slot, publicKeys });
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(message).digest()]);
    return client.sign(slot, digestInfo);
  };
  const authentication = await signWith('authentication');
  const holdsSignature = plan.signature && (await client.readCertificate('signature')) !== undefined;
  // Stryker disable next-line StringLiteral: possessionMessage and the card's SIGN take any slot but 'authentication' as the signature key
  return { nonce: challenge.nonce, authentication, ...(holdsSignature ? { signature: await signWith('signature') } : {}) };
}

/** Journal writes (each with its audit row) around each step; `observed` records a step found already done on resume. */
function journalFor(context: RenewalContext, renewalId: string) {
  const { journal } = context;
  // The journal types each step's data; this layer passes it through unchanged.
  const started = journal.stepStarted.bind(journal) as StepWrite;
  const finished = journal.stepFinished.bind(journal) as StepWrite;
  // No session (a renewal run outside one, as tests do): the journal's rows then name none.
  const { session } = context;
  return {
    async step<T>(step: RenewalStep, action: () => Promise<T>, data?: (result: T) => unknown, startedData?: unknown): Promise<T> {
      started(renewalId, step, startedData, session);
      const result = await action();
      finished(renewalId, step, data?.(result), session);
      return result;
    },
    observed(step: RenewalStep, data?: unknown, startedData?: unknown): void {
      started(renewalId, step, startedData, session);
      finished(renewalId, step, data, session);
    },
  };
}

/** Read back, chain and validity by the issuing service, and a fresh signature verified with the new certificate. */
async function verifySlot(context: RenewalContext, slot: KeySlot, expected: Uint8Array): Promise<void> {
  const { client, gateway } = context;
  const onCard = await client.readCertificate(slot);
  if (!sameBytes(onCard, expected)) throw new RenewalError('verified', `the ${slot} certificate read back differs from the one issued`);
  const status = await call('verified', () => gateway.certificateStatus(onCard));
  if (status !== 'valid') throw new RenewalError('verified', `the issuing service calls the new ${slot} certificate ${status}`);
  const certificate = new X509Certificate(Buffer.from(onCard));
  if (new Date(certificate.validTo) <= context.now()) throw new RenewalError('verified', `the new ${slot} certificate is already expired`);
  const challenge = randomBytes(32);
  const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(challenge).digest()]);
  const signature = await client.sign(slot, digestInfo);
  if (!verifySignature('sha256', challenge, certificate.publicKey, signature)) {
    throw new RenewalError('verified', `the new ${slot} key's signature does not verify with the new certificate`);
  }
}

/**
 * True when the card's current authentication certificate is the one issued
 * under this renewal (never the card's old one: refused before): the commit happened.
 */
async function holdsAsCurrent(client: IssuerChannelClient, issued: IssuedCertificate): Promise<boolean> {
  return sameBytes(await client.readCertificate('authentication'), issued.der);
}

/** Byte for byte the same; nothing (a certificate file left empty) is never the same as something. */
function sameBytes(bytes: Uint8Array | undefined, expected: Uint8Array): bytes is Uint8Array {
  return bytes !== undefined && Buffer.from(bytes).equals(Buffer.from(expected));
}

/** Errors from the issuing service carry the step they broke. */
async function call<T>(step: RenewalStep, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof RenewalError) throw error;
    throw new RenewalError(step, (error as Error).message, { cause: error });
  }
}

/** SHA-256 of each key's SPKI DER, as the journal records it. */
function keyFingerprints(slots: KeySlot[], key: (slot: KeySlot) => Uint8Array, isModulus = false) {
  const spki = (slot: KeySlot) => (isModulus ? rsaSpkiFromModulus(key(slot)) : spkiOfCertificate(key(slot)));
  return Object.fromEntries(slots.map((slot) => [slot, createHash('sha256').update(spki(slot)).digest('hex')]));
}

function issuedData(set: IssuedSet) {
  const entry = (certificate: IssuedCertificate) => ({
    serialNumber: certificate.serialNumber,
    notAfter: certificate.notAfter.toISOString(),
  });
  return { authentication: entry(set.authentication), ...(set.signature ? { signature: entry(set.signature) } : {}) };
}

function describe(certificate: IssuedCertificate) {
  return { serialNumber: certificate.serialNumber, notAfter: certificate.notAfter.toISOString() };
}
