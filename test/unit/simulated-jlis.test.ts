import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { spawnSync } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  randomBytes,
  sign as signWith,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCardImage } from '../../main/simulation/card/build-card-image';
import type { CardImage } from '../../main/simulation/card/card-image';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../../main/simulation/personas';
import { SimulatedCa } from '../../main/simulation/jlis/ca';
import { referenceHash, verifyIssuerProof } from '../../main/simulation/issuer-proof';
import type { IssuerPurpose } from '../../main/domain/issuer-purpose';
import { JPKI_SAN_OID, readJpkiSubjectAltName } from '../../main/card/jpki-certificate';
import {
  GatewayError,
  type GatewayFailure,
  type IssuanceGateway,
  type IssuedSet,
  type IssuerProofRequest,
  type PossessionProof,
  type RenewalRequest,
} from '../../main/issuance/gateway';
import { possessionMessage } from '../../main/issuance/possession';
import { SimulatedJlis, defaultExpiryRule } from '../../main/simulation/jlis/service';
import { japanDate } from '../../main/domain/japan-calendar';

const generateKeyPair = promisify(generateKeyPairCallback);

/** Every persona is resolved on this Japan date, renewals happen on it and the injected clock shows it. */
const TODAY = '2026-03-10';
const NOON_TODAY = new Date(`${TODAY}T12:00:00+09:00`);
let clock = NOON_TODAY;
const now = () => clock;

const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-jlis-test-'));
const jlisDir = join(work, 'jlis');
let jlis: SimulatedJlis;
/** A certificate that names our authentication CA as its subject but was made elsewhere (EC P-256, self-signed). */
let impostorDer: Buffer;
const timings: string[] = [];

interface Card {
  persona: ResolvedPersona;
  image: CardImage;
  serial: string;
}
const cards = new Map<string, Card>();
const card = (id: string): Card => {
  const found = cards.get(id);
  if (!found) throw new Error(`no card ${id}`);
  return found;
};

/** New key pairs "generated on the card": SPKI DER. */
const keys: Record<'a1' | 's1' | 'a2' | 's2', Buffer> = {
  a1: Buffer.alloc(0),
  s1: Buffer.alloc(0),
  a2: Buffer.alloc(0),
  s2: Buffer.alloc(0),
};

function variant(id: string, change: (persona: ResolvedPersona) => ResolvedPersona): [string, ResolvedPersona] {
  return [id, change(resolvePersona(loadPersona(id.replace(/\+.*$/, '')), TODAY))];
}

const withoutSignature = (persona: ResolvedPersona): ResolvedPersona => ({
  ...persona,
  certificates: persona.certificates && { ...persona.certificates, signature: { state: 'absent' } },
});

beforeAll(async () => {
  const started = performance.now();
  jlis = await SimulatedJlis.open(jlisDir, { now });
  const personas: [string, ResolvedPersona][] = [
    variant('standard-in-window', (p) => p),
    // A ten-year card that outlives the new certificates, so the birthday rule shows rather than the card cap.
    variant('standard-in-window+ten-year-card', (p) => ({ ...p, card: { ...p.card, expires: '2036-05-09' } })),
    variant('certificates-expired+ten-year-card', (p) => withoutSignature({ ...p, card: { ...p.card, expires: '2036-02-08' } })),
    // The card (as the register has it) would run to 2031; the period of stay ends first.
    variant('foreign-resident-period-of-stay+later-card', (p) =>
      withoutSignature({
        ...p,
        card: { ...p.card, expires: '2031-11-30' },
        residence: { nationality: 'PH', periodOfStayEnds: '2028-06-30' },
      }),
    ),
    variant('under-15-no-signature', (p) => p),
    variant('adult-ward-no-signature', (p) => p),
  ];
  // The moved resident's card is built by another SimulatedCa object on the same folder (as the
  // virtual card would be): its revocation reaches the service only through enrol.
  const moved = resolvePersona(loadPersona('signature-revoked-after-move'), TODAY);
  const [images, movedImage, pairs] = await Promise.all([
    Promise.all(personas.map(([, persona]) => buildCardImage(persona, jlis.ca))),
    SimulatedCa.load(join(jlisDir, 'ca')).then((separate) => buildCardImage(moved, separate)),
    Promise.all([0, 1, 2, 3].map(() => generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }))),
  ]);
  impostorDer = impostorCertificate();
  personas.forEach(([id, persona], index) => addCard(id, persona, images[index] as CardImage));
  addCard('signature-revoked-after-move', moved, movedImage);
  const spki = pairs.map(({ publicKey }) => publicKey.export({ type: 'spki', format: 'der' }));
  for (const { privateKey } of pairs) privateKeys.set(spkiHex(privateKey), privateKey);
  Object.assign(keys, { a1: spki[0], s1: spki[1], a2: spki[2], s2: spki[3] });
  timings.push(`setup (CA, 10 card keys, 4 new keys): ${(performance.now() - started).toFixed(0)} ms`);
}, 60_000);

afterAll(async () => {
  console.info(timings.join('; '));
  await jlis.close();
  rmSync(work, { recursive: true, force: true });
});

afterEach(() => {
  jlis.clearFaults();
  clock = NOON_TODAY;
});

function addCard(id: string, persona: ResolvedPersona, image: CardImage): void {
  const der = Buffer.from(image.jpki?.authentication.certificate ?? '', 'base64');
  const serial = new X509Certificate(der).serialNumber.toUpperCase();
  cards.set(id, { persona, image, serial });
  const held = (slot: 'authentication' | 'signature') => {
    const pem = image.jpki?.[slot].privateKey;
    if (!pem) return undefined;
    const key = createPrivateKey(pem);
    privateKeys.set(spkiHex(key), key);
    return spkiHex(key);
  };
  const signature = held('signature');
  keysOfSerial.set(serial, { authentication: held('authentication')!, ...(signature ? { signature } : {}) });
}

function certificateOnCard(id: string, slot: 'authentication' | 'signature'): Buffer {
  return Buffer.from(card(id).image.jpki?.[slot].certificate ?? '', 'base64');
}

/** A renewal request as the kiosk would make it, before the card's proof of possession is added (`issueProven`). */
type UnprovenRequest = Omit<RenewalRequest, 'possession'>;

function request(id: string, renewalId: string, publicKeys: RenewalRequest['publicKeys']): UnprovenRequest {
  return { renewalId, authenticationSerial: card(id).serial, publicKeys, renewedOn: TODAY, route: 'in-person' };
}

/** Private keys by their SPKI (hex), and which keys each authentication serial's resident holds: what "the card" signs with. */
const privateKeys = new Map<string, KeyObject>();
const keysOfSerial = new Map<string, { authentication: string; signature?: string }>();
const spkiHex = (key: KeyObject | Uint8Array) =>
  Buffer.from(key instanceof Uint8Array ? key : createPublicKey(key).export({ type: 'spki', format: 'der' })).toString('hex');

/**
 * `issue` with the proof the card would make: a possession challenge from
 * the gateway, signed with the keys of the resident's current certificates
 * (as far as this test knows them). When the challenge itself is refused,
 * the issue goes out with a proof that proves nothing, so the refusal a test
 * expects comes from `issue`.
 */
async function issueProven(gateway: IssuanceGateway, unproven: UnprovenRequest): Promise<IssuedSet> {
  let possession: PossessionProof = { nonce: randomBytes(32), authentication: randomBytes(256) };
  const held = keysOfSerial.get(unproven.authenticationSerial);
  try {
    const challenge = await gateway.possessionChallenge(unproven.renewalId, unproven.authenticationSerial);
    const sign = (slot: 'authentication' | 'signature', key: string | undefined) => {
      const privateKey = key && privateKeys.get(key);
      if (!privateKey) return undefined;
      const message = possessionMessage({ ...challenge, slot, publicKeys: unproven.publicKeys });
      return new Uint8Array(signWith('sha256', message, privateKey));
    };
    const authentication = sign('authentication', held?.authentication) ?? randomBytes(256);
    const signature = unproven.publicKeys.signature ? sign('signature', held?.signature) : undefined;
    possession = { nonce: challenge.nonce, authentication, ...(signature ? { signature } : {}) };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
  }
  const set = await gateway.issue({ ...unproven, possession });
  // The new certificates' keys are the ones requested; once confirmed they sign the next renewal.
  keysOfSerial.set(set.authentication.serialNumber, {
    authentication: spkiHex(unproven.publicKeys.authentication),
    ...(set.signature ? { signature: spkiHex(keyOf(set.signature.der)) } : held?.signature ? { signature: held.signature } : {}),
  });
  return set;
}

/** What the kiosk asks for a renewal's issuer proof, for a persona's card, and the binding the card will check. */
function proofRequest(reference: string, challenge: Uint8Array, id = 'standard-in-window', purpose: IssuerPurpose = 'renewal') {
  const { image, serial } = card(id);
  const chipSerial = image.chipSerial ?? '';
  const request: IssuerProofRequest = { purpose, reference, chipSerial, authenticationSerial: serial, challenge };
  const binding = { challenge, purpose, chipSerial: Buffer.from(chipSerial, 'hex'), referenceHash: referenceHash(reference) };
  return { request, binding };
}

async function failure(promise: Promise<unknown>): Promise<GatewayFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error.failure;
    throw error;
  }
  throw new Error('expected a GatewayError, got an answer');
}

function keyOf(der: Uint8Array): Buffer {
  return Buffer.from(new X509Certificate(der).publicKey.rawData);
}

function sameSet(a: IssuedSet, b: IssuedSet): void {
  expect(Buffer.from(a.authentication.der).equals(Buffer.from(b.authentication.der))).toBe(true);
  expect(a.authentication.serialNumber).toBe(b.authentication.serialNumber);
  expect(a.signature === undefined).toBe(b.signature === undefined);
  if (a.signature && b.signature) expect(Buffer.from(a.signature.der).equals(Buffer.from(b.signature.der))).toBe(true);
}

let pemCounter = 0;
function pemFile(der: Uint8Array): string {
  const path = join(work, `cert-${pemCounter++}.pem`);
  writeFileSync(
    path,
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
      .toString('base64')
      .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`,
  );
  return path;
}

/** `openssl verify -x509_strict` a day after the certificate's notBefore. */
function opensslVerify(caDer: Uint8Array, der: Uint8Array): { ok: boolean; output: string } {
  const attime = Math.floor(new X509Certificate(der).notBefore.getTime() / 1000) + 86_400;
  const result = spawnSync('openssl', ['verify', '-x509_strict', '-attime', String(attime), '-CAfile', pemFile(caDer), pemFile(der)], {
    encoding: 'utf8',
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

const lastDay = (date: Date) => japanDate(date);

function impostorCertificate(): Buffer {
  const subject = '/C=JP/O=JPKI-SIM/OU=JPKI for user authentication/OU=Japan Agency for Local Authority Information Systems';
  const keyPath = join(work, 'impostor-key.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyPath,
      '-subj',
      subject,
      '-days',
      '3650',
      '-outform',
      'DER',
    ],
    { encoding: 'buffer' },
  );
  if (result.status !== 0) throw new Error(`openssl req: ${result.stderr.toString()}`);
  return result.stdout;
}

describe('the resident register', () => {
  it('enrols a persona from its card, once however often it is enrolled', async () => {
    const standard = card('standard-in-window');
    const first = await jlis.enrol(standard.persona, standard.image);
    expect(first).toEqual({
      personaId: 'standard-in-window',
      authenticationSerial: standard.serial,
      dateOfBirth: '1986-05-09',
      cardExpires: '2031-05-09',
      adultWard: false,
      signatureHolder: {
        name: '見本　太郎',
        address: '東京都千代田区見本町一丁目2番3号',
        prefecture: '東京都',
        municipality: '千代田区',
        sex: '1',
      },
    });
    expect(await jlis.enrol(standard.persona, standard.image)).toEqual(first);
    for (const id of cards.keys()) if (id !== 'standard-in-window') await jlis.enrol(card(id).persona, card(id).image);

    const { personaId: _personaId, ...record } = first;
    expect(await jlis.lookupResident(standard.serial)).toEqual(record);
    // Serials as a parser may print them: lower case, a leading 00.
    expect(await jlis.lookupResident(`00${standard.serial.toLowerCase()}`)).toEqual(record);
    expect(await jlis.lookupResident('0123456789ABCDEF')).toBeUndefined();
  });

  it('recognises the adult ward (holder.adultWard), the under-15 and the foreign resident', async () => {
    expect(await jlis.lookupResident(card('adult-ward-no-signature').serial)).toMatchObject({ adultWard: true, dateOfBirth: '1966-05-19' });
    expect(await jlis.lookupResident(card('under-15-no-signature').serial)).toMatchObject({
      adultWard: false,
      dateOfBirth: '2014-04-19',
      cardExpires: '2026-04-19',
    });
    const foreign = await jlis.lookupResident(card('foreign-resident-period-of-stay+later-card').serial);
    expect(foreign).toMatchObject({
      periodOfStayEnds: '2028-06-30',
      cardExpires: '2031-11-30',
      signatureHolder: { name: 'SAMPLE　ANNA MARIA', sex: '2' },
    });
    expect(await jlis.lookupResident(card('standard-in-window').serial)).not.toHaveProperty('periodOfStayEnds');
  });

  it("registers the persona's revoked certificates (the moved resident's signature certificate)", async () => {
    const id = 'signature-revoked-after-move';
    expect(await jlis.certificateStatus(certificateOnCard(id, 'signature'))).toBe('revoked');
    expect(await jlis.certificateStatus(certificateOnCard(id, 'authentication'))).toBe('valid');
    expect(jlis.ca.status(certificateOnCard(id, 'signature'))).toMatchObject({ status: 'revoked', reason: 'moved' });
    // The register has the new address (Fukuoka), not the one the old certificate carries (Sapporo).
    expect((await jlis.lookupResident(card(id).serial))?.signatureHolder).toMatchObject({
      prefecture: '福岡県',
      municipality: '福岡市中央区',
    });
  });

  it('refuses to enrol a card it cannot identify', async () => {
    const notMyNumber = resolvePersona(loadPersona('not-a-my-number-card'), TODAY);
    const image = await buildCardImage(notMyNumber, jlis.ca);
    await expect(jlis.enrol(notMyNumber, image)).rejects.toThrow(/not a card the issuing service knows/);
    const standard = card('standard-in-window');
    const foreignCa = {
      ...standard.image,
      jpki: { ...standard.image.jpki!, authentication: { certificate: impostorDer.toString('base64') } },
    };
    await expect(jlis.enrol(standard.persona, foreignCa)).rejects.toThrow(/not issued by this simulated CA/);
  });
});

describe('issuing', () => {
  it("answers the card's challenge with a proof the card's trust anchor verifies", async () => {
    const { request: asked, binding } = proofRequest('proof-1', randomBytes(16));
    const proof = await jlis.issuerProof(asked);
    expect(proof).toHaveLength(64);
    expect(verifyIssuerProof(Buffer.from(card('standard-in-window').image.issuerTrustAnchor ?? '', 'base64'), binding, proof)).toBe(true);
    expect(await failure(jlis.issuerProof({ ...asked, challenge: randomBytes(15) }))).toBe('refused');
  });

  it('issues a standard adult in the window: chains to the CAs, carries the new keys, runs to the 6th birthday', async () => {
    const set = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1, signature: keys.s1 }));
    const { authentication, signature } = set;
    if (!signature) throw new Error('no signature certificate');
    expect(set.renewalId).toBe('R-standard');
    for (const [ca, issued, key] of [
      [jlis.ca.authenticationCaDer, authentication, keys.a1],
      [jlis.ca.signatureCaDer, signature, keys.s1],
    ] as const) {
      const verified = opensslVerify(ca, issued.der);
      expect(verified.ok, verified.output).toBe(true);
      expect(keyOf(issued.der).equals(key)).toBe(true);
      const certificate = new X509Certificate(issued.der);
      expect(certificate.serialNumber.toUpperCase()).toBe(issued.serialNumber);
      expect(certificate.notAfter.getTime()).toBe(issued.notAfter.getTime());
      expect(certificate.notBefore.toISOString()).toBe(new Date(`${TODAY}T00:00:00+09:00`).toISOString());
      expect(issued.notAfter.toISOString()).toBe(new Date('2031-05-09T23:59:59+09:00').toISOString());
      expect(await jlis.certificateStatus(issued.der)).toBe('valid');
    }
    expect(new X509Certificate(authentication.der).subject).toMatch(/^C=JP, CN=[0-9A-F]{24}$/);
    const san = readJpkiSubjectAltName(signature.der);
    expect(san.get(JPKI_SAN_OID.name)).toBe('見本　太郎');
    expect(san.get(JPKI_SAN_OID.address)).toBe('東京都千代田区見本町一丁目2番3号');
    expect(san.get(JPKI_SAN_OID.dateOfBirth)).toBe('319860509');
  });

  it('runs to the 6th birthday in the window and to the 5th after expiry, not to the card', async () => {
    const inWindow = await issueProven(
      jlis,
      request('standard-in-window+ten-year-card', 'R-ten-year', { authentication: keys.a1, signature: keys.s1 }),
    );
    expect(lastDay(inWindow.authentication.notAfter)).toBe('2031-05-09');
    expect(lastDay(inWindow.signature!.notAfter)).toBe('2031-05-09');
    const expired = await issueProven(
      jlis,
      request('certificates-expired+ten-year-card', 'R-expired', { authentication: keys.a1, signature: keys.s1 }),
    );
    expect(lastDay(expired.authentication.notAfter)).toBe('2031-02-08');
    expect(lastDay(expired.signature!.notAfter)).toBe('2031-02-08');
  });

  it('caps a foreign resident by the period of stay', async () => {
    const set = await issueProven(
      jlis,
      request('foreign-resident-period-of-stay+later-card', 'R-foreign', { authentication: keys.a1, signature: keys.s1 }),
    );
    expect(lastDay(set.authentication.notAfter)).toBe('2028-06-30');
    expect(lastDay(set.signature!.notAfter)).toBe('2028-06-30');
  });

  it('issues no signature certificate under 15, to an adult ward, or without a signature key', async () => {
    const child = await issueProven(jlis, request('under-15-no-signature', 'R-child', { authentication: keys.a1, signature: keys.s1 }));
    expect(child.signature).toBeUndefined();
    expect(lastDay(child.authentication.notAfter)).toBe('2026-04-19'); // the card's expiry
    const ward = await issueProven(jlis, request('adult-ward-no-signature', 'R-ward', { authentication: keys.a1, signature: keys.s1 }));
    expect(ward.signature).toBeUndefined();
    expect(lastDay(ward.authentication.notAfter)).toBe('2031-05-19');
    const authOnly = await issueProven(jlis, request('standard-in-window+ten-year-card', 'R-auth-only', { authentication: keys.a2 }));
    expect(authOnly.signature).toBeUndefined();
    expect(keyOf(authOnly.authentication.der).equals(keys.a2)).toBe(true);
  });

  it('issues the moved resident a signature certificate with the new address, never outliving authentication', async () => {
    const set = await issueProven(
      jlis,
      request('signature-revoked-after-move', 'R-moved', { authentication: keys.a1, signature: keys.s1 }),
    );
    const signature = set.signature!;
    expect(readJpkiSubjectAltName(signature.der).get(JPKI_SAN_OID.address)).toBe('福岡県福岡市中央区見本二丁目11番12号');
    expect(new X509Certificate(signature.der).subject).toMatch(/^C=JP, L=福岡県, L=福岡市中央区, CN=/);
    expect(signature.notAfter.getTime()).toBeLessThanOrEqual(set.authentication.notAfter.getTime());
    expect(lastDay(set.authentication.notAfter)).toBe('2031-05-29');
  });

  it('refuses what it cannot issue', async () => {
    const standard = (changes: Partial<UnprovenRequest>): UnprovenRequest => ({
      ...request('standard-in-window', 'R-refused', { authentication: keys.a2, signature: keys.s2 }),
      ...changes,
    });
    expect(await failure(issueProven(jlis, standard({ authenticationSerial: '0123456789ABCDEF' })))).toBe('refused');
    expect(await failure(issueProven(jlis, standard({ publicKeys: { authentication: new Uint8Array([1, 2, 3]) } })))).toBe('refused');
    expect(await failure(issueProven(jlis, standard({ publicKeys: { authentication: keys.a2, signature: keys.a2 } })))).toBe('refused');
    expect(await failure(issueProven(jlis, standard({ renewedOn: '2026-02-30' })))).toBe('refused');
    expect(await failure(issueProven(jlis, standard({ renewalId: '' })))).toBe('refused');
    // A card past its expiry needs a new card, not a renewal.
    expect(await failure(issueProven(jlis, standard({ renewedOn: '2031-05-10' })))).toBe('refused');
    // None of these left a renewal behind.
    const issued = await issueProven(jlis, standard({}));
    expect(keyOf(issued.authentication.der).equals(keys.a2)).toBe(true);
    await jlis.voidUnconfirmed('R-refused');
  });

  it('uses an injected validity rule', async () => {
    const seen: unknown[] = [];
    // A second instance on the same folder, with its own rule.
    const ruled = await SimulatedJlis.open(jlisDir, {
      now,
      expiryRule: (input) => {
        seen.push(input);
        return { authentication: '2029-01-31', signature: '2030-12-31' };
      },
    });
    try {
      const set = await issueProven(
        ruled,
        request('standard-in-window+ten-year-card', 'R-rule', { authentication: keys.a2, signature: keys.s2 }),
      );
      expect(seen).toEqual([
        {
          dateOfBirth: '1986-05-09',
          renewedOn: TODAY,
          currentExpiry: { authentication: '2026-05-09', signature: '2026-05-09' },
          cardExpires: '2036-05-09',
        },
      ]);
      expect(lastDay(set.authentication.notAfter)).toBe('2029-01-31');
      expect(lastDay(set.signature!.notAfter)).toBe('2029-01-31'); // never beyond authentication
      await ruled.voidUnconfirmed('R-rule');
    } finally {
      await ruled.close();
    }
  });

  it('default rule: the worked examples of docs/domain.md', () => {
    const base = { dateOfBirth: '1980-07-15', cardExpires: '2035-07-15' };
    expect(
      defaultExpiryRule({ ...base, renewedOn: '2025-05-01', currentExpiry: { authentication: '2025-07-15', signature: '2025-07-15' } }),
    ).toEqual({
      authentication: '2030-07-15',
      signature: '2030-07-15',
    });
    expect(defaultExpiryRule({ ...base, renewedOn: '2025-07-15', currentExpiry: { authentication: '2025-07-15' } }).authentication).toBe(
      '2030-07-15',
    );
    expect(defaultExpiryRule({ ...base, renewedOn: '2025-09-01', currentExpiry: { authentication: '2025-07-15' } }).authentication).toBe(
      '2030-07-15',
    );
    expect(
      defaultExpiryRule({ ...base, cardExpires: '2029-01-31', renewedOn: '2025-05-01', currentExpiry: { authentication: '2025-07-15' } }),
    ).toEqual({
      authentication: '2029-01-31',
      signature: '2029-01-31',
    });
  });
});

describe('idempotency by renewal id', () => {
  it('answers a repeated issue with the same certificates, byte for byte, also when the repeats race', async () => {
    const first = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1, signature: keys.s1 }));
    sameSet(await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1, signature: keys.s1 })), first);
    const racing = await Promise.all(
      [1, 2, 3].map(() => issueProven(jlis, request('adult-ward-no-signature', 'R-race', { authentication: keys.a2 }))),
    );
    for (const set of racing) sameSet(set, racing[0]!);
  });

  it('refuses the same renewal id with other keys until the unconfirmed issue is voided', async () => {
    const first = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1, signature: keys.s1 }));
    expect(
      await failure(issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 }))),
    ).toBe('refused');
    expect(await failure(issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1 })))).toBe('refused');
    expect(
      await failure(issueProven(jlis, request('adult-ward-no-signature', 'R-standard', { authentication: keys.a1, signature: keys.s1 }))),
    ).toBe('refused');

    await jlis.voidUnconfirmed('R-standard');
    await jlis.voidUnconfirmed('R-standard'); // nothing left to void
    await jlis.voidUnconfirmed('R-never-issued');
    expect(await jlis.certificateStatus(first.authentication.der)).toBe('revoked');
    expect(await jlis.certificateStatus(first.signature!.der)).toBe('revoked');

    const again = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 }));
    expect(keyOf(again.authentication.der).equals(keys.a2)).toBe(true);
    expect(keyOf(again.signature!.der).equals(keys.s2)).toBe(true);
    expect(again.authentication.serialNumber).not.toBe(first.authentication.serialNumber);
    sameSet(await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 })), again);
  });

  it('answers the same certificates after close() and reopening the folder', async () => {
    const before = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 }));
    await jlis.close();
    await expect(jlis.lookupResident(card('standard-in-window').serial)).rejects.toThrow(/closed/);
    jlis = await SimulatedJlis.open(jlisDir, { now });
    sameSet(await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 })), before);
    expect(
      await failure(issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a1, signature: keys.s1 }))),
    ).toBe('refused');
  });
});

describe('confirmation and status', () => {
  it('confirmWritten revokes the old certificates, not the new, and makes the new serial current', async () => {
    const id = 'standard-in-window';
    const oldSerial = card(id).serial;
    const set = await issueProven(jlis, request(id, 'R-standard', { authentication: keys.a2, signature: keys.s2 }));
    // A competing renewal of the same certificate, never confirmed.
    const competing = await issueProven(jlis, request(id, 'R-competing', { authentication: keys.a1, signature: keys.s1 }));

    await jlis.confirmWritten('R-standard');
    await jlis.confirmWritten('R-standard'); // repeated: nothing changes

    expect(await jlis.certificateStatus(certificateOnCard(id, 'authentication'))).toBe('revoked');
    expect(await jlis.certificateStatus(certificateOnCard(id, 'signature'))).toBe('revoked');
    expect(jlis.ca.status(certificateOnCard(id, 'authentication'))).toMatchObject({ status: 'revoked', reason: 'renewed' });
    expect(await jlis.certificateStatus(set.authentication.der)).toBe('valid');
    expect(await jlis.certificateStatus(set.signature!.der)).toBe('valid');
    expect(await jlis.certificateStatus(competing.authentication.der)).toBe('revoked');
    expect(await failure(jlis.confirmWritten('R-competing'))).toBe('refused');

    const record = await jlis.lookupResident(set.authentication.serialNumber);
    expect(record).toMatchObject({ authenticationSerial: set.authentication.serialNumber, dateOfBirth: '1986-05-09' });
    // The old serial still names the resident, whose current serial is the new one.
    expect((await jlis.lookupResident(oldSerial))?.authenticationSerial).toBe(set.authentication.serialNumber);

    expect(await failure(jlis.voidUnconfirmed('R-standard'))).toBe('refused');
    sameSet(await issueProven(jlis, request(id, 'R-standard', { authentication: keys.a2, signature: keys.s2 })), set);
    // The old certificate cannot start another renewal; the new one can.
    expect(await failure(issueProven(jlis, request(id, 'R-next', { authentication: keys.a1, signature: keys.s1 })))).toBe('refused');
    const next = await issueProven(jlis, {
      renewalId: 'R-next',
      authenticationSerial: set.authentication.serialNumber,
      publicKeys: { authentication: keys.a1 },
      renewedOn: TODAY,
      route: 'in-person',
    });
    expect(next.signature).toBeUndefined();
    await jlis.voidUnconfirmed('R-next');
    expect(await failure(jlis.confirmWritten('R-next'))).toBe('refused');
    expect(await failure(jlis.confirmWritten('R-unknown'))).toBe('refused');
  });

  it('keeps the signature certificate when only authentication was renewed', async () => {
    const id = 'standard-in-window+ten-year-card';
    await jlis.confirmWritten('R-auth-only');
    expect(await jlis.certificateStatus(certificateOnCard(id, 'authentication'))).toBe('revoked');
    expect(await jlis.certificateStatus(certificateOnCard(id, 'signature'))).toBe('valid');
  });

  it("answers 'expired' after notAfter by its clock, and 'unknown' for what it did not issue", async () => {
    const set = await issueProven(jlis, request('adult-ward-no-signature', 'R-race', { authentication: keys.a2 }));
    clock = new Date('2031-05-19T23:59:59+09:00');
    expect(await jlis.certificateStatus(set.authentication.der)).toBe('valid');
    clock = new Date('2031-05-20T00:00:00+09:00');
    expect(await jlis.certificateStatus(set.authentication.der)).toBe('expired');
    expect(await jlis.certificateStatus(impostorDer)).toBe('unknown');
    expect(await jlis.certificateStatus(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toBe('unknown');
  });
});

describe('fault injection', () => {
  const childRequest = (renewalId: string, signature = keys.s1) =>
    request('under-15-no-signature', renewalId, { authentication: keys.a1, signature });

  it('latency: answers correctly, after the delay', async () => {
    jlis.setFault('issuerProof', { kind: 'latency', ms: 80 });
    const { request: asked, binding } = proofRequest('R-latency', randomBytes(16), 'certificates-expired+ten-year-card');
    const started = performance.now();
    const proof = await jlis.issuerProof(asked);
    expect(performance.now() - started).toBeGreaterThanOrEqual(79);
    expect(verifyIssuerProof(jlis.ca.issuerTrustAnchorDer, binding, proof)).toBe(true);
  });

  it('timeout: never answers before ms; the issue happened all the same and a retry gets the same certificates', async () => {
    jlis.setFault('lookupResident', { kind: 'timeout', ms: 60 });
    let started = performance.now();
    expect(await failure(jlis.lookupResident(card('standard-in-window').serial))).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);

    jlis.setFault('issue', { kind: 'timeout', ms: 60, times: 1 });
    started = performance.now();
    expect(await failure(issueProven(jlis, childRequest('R-timeout', keys.s1)))).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);
    // It was issued: other keys are refused, the same keys get what was issued.
    expect(await failure(issueProven(jlis, request('under-15-no-signature', 'R-timeout', { authentication: keys.a2 })))).toBe('refused');
    const retried = await issueProven(jlis, childRequest('R-timeout', keys.s1));
    sameSet(await issueProven(jlis, childRequest('R-timeout', keys.s1)), retried);
    expect(keyOf(retried.authentication.der).equals(keys.a1)).toBe(true);
  });

  it('server-error and unavailable: fail at once and issue nothing', async () => {
    for (const kind of ['server-error', 'unavailable'] as const) {
      const renewalId = `R-${kind}`;
      jlis.setFault('issue', { kind });
      expect(await failure(issueProven(jlis, request('under-15-no-signature', renewalId, { authentication: keys.a1 })))).toBe(kind);
      jlis.setFault('issue', undefined);
      // Nothing was stored under that id: other keys are not refused.
      const set = await issueProven(jlis, request('under-15-no-signature', renewalId, { authentication: keys.a2 }));
      expect(keyOf(set.authentication.der).equals(keys.a2)).toBe(true);
    }
  });

  it('garbled answer (unparseable): bytes that do not parse; the stored certificates are intact', async () => {
    jlis.setFault('issue', { kind: 'garbled-answer', times: 1 });
    const garbled = await issueProven(jlis, request('adult-ward-no-signature', 'R-garbled', { authentication: keys.a1 }));
    expect(() => new X509Certificate(garbled.authentication.der)).toThrow();
    const good = await issueProven(jlis, request('adult-ward-no-signature', 'R-garbled', { authentication: keys.a1 }));
    expect(keyOf(good.authentication.der).equals(keys.a1)).toBe(true);
    expect(good.authentication.serialNumber).toBe(garbled.authentication.serialNumber);
    expect(opensslVerify(jlis.ca.authenticationCaDer, good.authentication.der).ok).toBe(true);

    jlis.setFault('issuerProof', { kind: 'garbled-answer' });
    const { request: asked, binding } = proofRequest('R-garbled', randomBytes(16), 'adult-ward-no-signature');
    const proof = await jlis.issuerProof(asked);
    expect(proof.length).not.toBe(64);
    expect(verifyIssuerProof(jlis.ca.issuerTrustAnchorDer, binding, proof)).toBe(false);

    // Answers that are not bytes for the caller to check fail as a client would: garbled-answer.
    jlis.setFault('lookupResident', { kind: 'garbled-answer' });
    jlis.setFault('certificateStatus', { kind: 'garbled-answer' });
    expect(await failure(jlis.lookupResident(card('adult-ward-no-signature').serial))).toBe('garbled-answer');
    expect(await failure(jlis.certificateStatus(good.authentication.der))).toBe('garbled-answer');
  });

  it("garbled answer (wrong-key): a certificate that parses but is not for the card's key and does not verify", async () => {
    jlis.setFault('issue', { kind: 'garbled-answer', garble: 'wrong-key' });
    const garbled = await issueProven(
      jlis,
      request('foreign-resident-period-of-stay+later-card', 'R-wrong-key', { authentication: keys.a1, signature: keys.s1 }),
    );
    jlis.setFault('issue', undefined);
    const good = await issueProven(
      jlis,
      request('foreign-resident-period-of-stay+later-card', 'R-wrong-key', { authentication: keys.a1, signature: keys.s1 }),
    );
    for (const [slot, ca, key] of [
      ['authentication', jlis.ca.authenticationCaDer, keys.a1],
      ['signature', jlis.ca.signatureCaDer, keys.s1],
    ] as const) {
      const bad = garbled[slot]!;
      expect(new X509Certificate(bad.der).serialNumber.toUpperCase()).toBe(good[slot]!.serialNumber);
      expect(keyOf(bad.der).equals(key)).toBe(false);
      expect(opensslVerify(ca, bad.der).ok).toBe(false);
      expect(keyOf(good[slot]!.der).equals(key)).toBe(true);
      expect(await jlis.certificateStatus(bad.der)).toBe('unknown');
    }

    jlis.setFault('issuerProof', { kind: 'garbled-answer', garble: 'wrong-key' });
    const { request: asked, binding } = proofRequest('R-wrong-key', randomBytes(16), 'foreign-resident-period-of-stay+later-card');
    const proof = await jlis.issuerProof(asked);
    expect(proof).toHaveLength(64);
    expect(verifyIssuerProof(jlis.ca.issuerTrustAnchorDer, binding, proof)).toBe(false);
  });

  it('a garbled or timed-out confirmation was carried out all the same', async () => {
    const set = await issueProven(jlis, request('adult-ward-no-signature', 'R-garbled', { authentication: keys.a1 }));
    jlis.setFault('confirmWritten', { kind: 'garbled-answer' });
    expect(await failure(jlis.confirmWritten('R-garbled'))).toBe('garbled-answer');
    jlis.setFault('confirmWritten', { kind: 'timeout', ms: 10 });
    expect(await failure(jlis.confirmWritten('R-garbled'))).toBe('timeout');
    jlis.setFault('confirmWritten', undefined);
    expect(await jlis.certificateStatus(certificateOnCard('adult-ward-no-signature', 'authentication'))).toBe('revoked');
    expect((await jlis.lookupResident(set.authentication.serialNumber))?.authenticationSerial).toBe(set.authentication.serialNumber);
    await jlis.confirmWritten('R-garbled');
  });

  it("times: fails only the next n calls; an operation's own fault wins over '*'", async () => {
    const serial = card('standard-in-window').serial;
    jlis.setFault('*', { kind: 'unavailable', times: 2 });
    expect(jlis.faults).toEqual([{ operation: '*', fault: { kind: 'unavailable', times: 2 }, callsLeft: 2 }]);
    expect(await failure(jlis.lookupResident(serial))).toBe('unavailable');
    expect(await failure(jlis.issuerProof(proofRequest('R-times', randomBytes(16)).request))).toBe('unavailable');
    expect(await jlis.lookupResident(serial)).toBeDefined();
    expect(jlis.faults).toEqual([]);

    jlis.setFault('*', { kind: 'unavailable' });
    jlis.setFault('certificateStatus', { kind: 'server-error', times: 1 });
    expect(await failure(jlis.certificateStatus(certificateOnCard('standard-in-window', 'authentication')))).toBe('server-error');
    expect(await failure(jlis.certificateStatus(certificateOnCard('standard-in-window', 'authentication')))).toBe('unavailable');
    expect(await failure(jlis.voidUnconfirmed('R-times'))).toBe('unavailable');
    jlis.setFault('*', undefined);
    expect(await jlis.certificateStatus(certificateOnCard('standard-in-window', 'authentication'))).toBe('revoked');

    expect(() => jlis.setFault('issue', { kind: 'latency', ms: -1 })).toThrow(RangeError);
    expect(() => jlis.setFault('issue', { kind: 'unavailable', times: 0 })).toThrow(RangeError);
    expect(() => jlis.setFault('nope' as 'issue', { kind: 'unavailable' })).toThrow(RangeError);
  });
});

describe('persistence', () => {
  it('keeps residents, issued sets, confirmations and revocations across reopening the folder', async () => {
    const standard = card('standard-in-window');
    const renewed = await issueProven(jlis, request('standard-in-window', 'R-standard', { authentication: keys.a2, signature: keys.s2 }));
    const moved = await issueProven(
      jlis,
      request('signature-revoked-after-move', 'R-moved', { authentication: keys.a1, signature: keys.s1 }),
    );
    await jlis.close();

    const started = performance.now();
    jlis = await SimulatedJlis.open(jlisDir, { now });
    timings.push(`reopen: ${(performance.now() - started).toFixed(0)} ms`);
    // A second instance on the same folder in this process shares its database and sees the same state.
    const second = await SimulatedJlis.open(jlisDir, { now });
    try {
      for (const service of [jlis, second]) {
        expect((await service.lookupResident(standard.serial))?.authenticationSerial).toBe(renewed.authentication.serialNumber);
        expect(await service.lookupResident(card('adult-ward-no-signature').serial)).toMatchObject({ adultWard: true });
        expect(await service.certificateStatus(certificateOnCard('standard-in-window', 'authentication'))).toBe('revoked');
        expect(await service.certificateStatus(certificateOnCard('signature-revoked-after-move', 'signature'))).toBe('revoked');
        expect(await service.certificateStatus(renewed.authentication.der)).toBe('valid');
        sameSet(
          await issueProven(service, request('signature-revoked-after-move', 'R-moved', { authentication: keys.a1, signature: keys.s1 })),
          moved,
        );
      }
      // What one instance does, the other sees.
      await second.confirmWritten('R-moved');
      expect(await jlis.certificateStatus(certificateOnCard('signature-revoked-after-move', 'authentication'))).toBe('revoked');
      expect(jlis.ca.status(certificateOnCard('signature-revoked-after-move', 'signature'))).toMatchObject({ reason: 'moved' });
    } finally {
      await second.close();
    }
  });
});
