import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import type { VirtualCard } from '../../main/card/virtual-reader';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import type { IssuanceGateway, RenewalRequest } from '../../main/issuance/gateway';
import { TerminalCa, type KeyPairPem } from '../../main/service/terminal-pki';
import { RenewalError, runRenewal } from '../../main/session/renewal';
import type { CardImage } from '../../main/simulation/card/card-image';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { listPersonas, type ResolvedPersona } from '../../main/simulation/personas';
import { japanDate } from '../../main/domain/japan-calendar';
import { cardKeysOf, issuerProofFor, noProof, signPossession, type CardKeys, type UnprovenRequest } from '../support/card-proofs';
import { worldServiceRig, type WorldServiceRig } from '../support/service-rig';

// The issuing service tried as an attacker would (docs/card-protocol.md,
// "Proof of possession"; docs/issuing-service.md, "Attacks"). Every attack
// goes through the real service over mutual TLS, and each ends with the
// victim's certificates still valid, nothing issued under the attacker's
// renewal ids, and the resident's record unchanged.

let rig: WorldServiceRig;
let lobby: KeyPairPem;
let lobbyTwo: KeyPairPem;
let counter: KeyPairPem;
const today = japanDate(new Date());

interface Victim {
  persona: ResolvedPersona;
  image: CardImage;
  serial: string;
  keys: CardKeys;
}

async function victim(personaId = 'standard-in-window'): Promise<Victim> {
  const found = listPersonas().find((candidate) => candidate.id === personaId);
  if (!found) throw new Error(`no persona ${personaId}`);
  const { persona, image } = await rig.world.freshCard(found);
  const serial = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64')).serialNumber.toUpperCase();
  return { persona, image, serial, keys: cardKeysOf(image) };
}

const newSpki = (): { spki: Uint8Array; key: KeyObject } => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), key: privateKey };
};

/** Nothing changed for the victim: both certificates valid, still the resident's current ones, nothing issued under `renewalIds`. */
async function untouched(target: Victim, terminal: KeyPairPem, renewalIds: string[]): Promise<void> {
  const gateway = rig.client(terminal);
  for (const slot of ['authentication', 'signature'] as const) {
    const der = target.image.jpki![slot].certificate;
    if (der) expect(await gateway.certificateStatus(Buffer.from(der, 'base64')), slot).toBe('valid');
  }
  expect((await gateway.lookupResident(target.serial))?.authenticationSerial).toBe(target.serial);
  for (const renewalId of renewalIds) expect(await gateway.issuedFor(renewalId), renewalId).toBeUndefined();
}

function unproven(
  target: Victim,
  renewalId: string,
  keys: RenewalRequest['publicKeys'] = { authentication: newSpki().spki, signature: newSpki().spki },
): UnprovenRequest {
  return { renewalId, authenticationSerial: target.serial, publicKeys: keys, renewedOn: today, route: 'in-person' };
}

/** A legitimate challenge and proof by the victim's own card, for `renewalId`, at `terminal`. */
async function legitimateProof(gateway: IssuanceGateway, request: UnprovenRequest, keys: CardKeys): Promise<RenewalRequest> {
  const challenge = await gateway.possessionChallenge(request.renewalId, request.authenticationSerial);
  return { ...request, possession: signPossession(challenge, request.publicKeys, keys) };
}

beforeAll(async () => {
  rig = await worldServiceRig('attack-test');
  lobby = await rig.terminal('lobby-01', 'lobby');
  lobbyTwo = await rig.terminal('lobby-02', 'lobby');
  counter = await rig.terminal('counter-01', 'counter');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

/**
 * A counterfeit card: the victim's public data (certificates, chip serial,
 * the issuer's trust anchor — all readable from a real card) on a card whose
 * keys are the attacker's, and which answers 9000 to every VERIFY.
 */
class CounterfeitCard implements VirtualCard {
  readonly #inner: VirtualMyNumberCard;
  readonly atr: Uint8Array;

  constructor(victimImage: CardImage) {
    const image = structuredClone(victimImage);
    const attacker = (slot: 'authentication' | 'signature') => {
      image.jpki![slot].privateKey = newSpki().key.export({ type: 'pkcs8', format: 'pem' }) as string;
    };
    attacker('authentication');
    attacker('signature');
    this.#inner = new VirtualMyNumberCard(image);
    this.atr = this.#inner.atr;
  }

  transmit(command: Uint8Array): Uint8Array {
    // VERIFY with a PIN: let the emulator count it as verified, whatever was typed, and say 9000.
    if (command[1] === 0x20 && command.length > 5) {
      const p2 = command[3]!;
      const pin = this.#pinFor(p2);
      if (pin !== undefined) {
        const honest = Uint8Array.from([command[0]!, 0x20, 0x00, p2, pin.length, ...Buffer.from(pin, 'latin1')]);
        this.#inner.transmit(honest);
      }
      return Uint8Array.of(0x90, 0x00);
    }
    return this.#inner.transmit(command);
  }

  powerDown(): void {
    this.#inner.powerDown();
  }

  #pinFor(p2: number): string | undefined {
    const jpki = this.#inner.snapshot().jpki;
    if (p2 === 0x98) return jpki?.authenticationPin?.value;
    if (p2 === 0x9b) return jpki?.signaturePassword?.value;
    return undefined;
  }
}

describe('a counterfeit card that names a resident and answers 9000 to every VERIFY', () => {
  it('gets nothing issued and nothing revoked: its keys sign a possession proof the victim’s certificate does not verify', async () => {
    const target = await victim();
    const reader = new VirtualReader();
    reader.insert(new CounterfeitCard(target.image));
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    const client = new IssuerChannelClient(connection);
    // Any digits at all: the counterfeit says yes.
    expect(await client.verify('authentication', '0000')).toEqual({ result: 'verified' });
    expect(await client.verify('signature', 'WRONGPASS1')).toEqual({ result: 'verified' });

    const world = rig.world;
    const identity = { tokenLabel: 'JPKIAPICCTOKEN2', authenticationSerial: target.serial };
    const renewalId = world.journal.beginRenewal(identity, 'in-person');
    const attempt = runRenewal(
      {
        client,
        gateway: rig.client(lobby),
        journal: world.journal,
        now: () => new Date(),
        replaceRenewal: () => {
          throw new Error('no second renewal id for an attacker');
        },
      },
      { renewalId, oldAuthenticationSerial: target.serial, signature: true, route: 'in-person' },
    );
    await expect(attempt).rejects.toBeInstanceOf(RenewalError);
    await expect(attempt).rejects.toMatchObject({
      step: 'certificates-issued',
      message: expect.stringMatching(/did not prove it holds the current authentication certificate's key/),
    });
    await untouched(target, lobby, [renewalId]);
    // Confirming what was never issued revokes nothing either.
    await expect(rig.client(lobby).confirmWritten(renewalId)).rejects.toMatchObject({ failure: 'refused' });
    await untouched(target, lobby, [renewalId]);
  }, 60_000);

  it('gets nothing with a request that carries no proof, or random bytes for one', async () => {
    const target = await victim();
    const gateway = rig.client(lobby);
    await expect(gateway.issue({ ...unproven(target, 'attack-no-proof'), possession: noProof() })).rejects.toMatchObject({
      failure: 'refused',
    });
    const challenge = await gateway.possessionChallenge('attack-random', target.serial);
    await expect(
      gateway.issue({ ...unproven(target, 'attack-random'), possession: { nonce: challenge.nonce, authentication: randomBytes(256) } }),
    ).rejects.toMatchObject({ failure: 'refused' });
    await untouched(target, lobby, ['attack-no-proof', 'attack-random']);
  }, 60_000);
});

describe('a possession proof replayed or bound again', () => {
  it('is refused for another renewal id, another terminal, other new keys, and once spent', async () => {
    const target = await victim();
    const lobbyGateway = rig.client(lobby);
    const original = unproven(target, 'attack-original');
    const proved = await legitimateProof(lobbyGateway, original, target.keys);

    // Another renewal id, same nonce and signatures.
    await expect(lobbyGateway.issue({ ...proved, renewalId: 'attack-other-id' })).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/another renewal/),
    });
    // Another terminal presenting it.
    await expect(rig.client(lobbyTwo).issue(proved)).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/another terminal/),
    });
    // Other new keys (someone else's) under the victim's proof.
    const otherKeys = { authentication: newSpki().spki, signature: newSpki().spki };
    await expect(lobbyGateway.issue({ ...proved, publicKeys: otherKeys })).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/did not prove/),
    });
    // A proof signed for another terminal id than the one the nonce was given to.
    const challenge = await lobbyGateway.possessionChallenge('attack-forged-terminal', target.serial);
    const forged = signPossession({ ...challenge, terminalId: 'lobby-02' }, original.publicKeys, target.keys);
    await expect(
      lobbyGateway.issue({ ...unproven(target, 'attack-forged-terminal', original.publicKeys), possession: forged }),
    ).rejects.toMatchObject({
      failure: 'refused',
    });
    await untouched(target, lobby, ['attack-original', 'attack-other-id', 'attack-forged-terminal']);
    await untouched(target, lobbyTwo, ['attack-original']);

    // The genuine request is still good (it was never spent), and once spent it allows nothing more.
    const issued = await lobbyGateway.issue(proved);
    expect(issued.renewalId).toBe('attack-original');
    await lobbyGateway.voidUnconfirmed('attack-original');
    await expect(lobbyGateway.issue(proved)).rejects.toMatchObject({ failure: 'refused', message: expect.stringMatching(/already used/) });
    await untouched(target, lobby, ['attack-original']);
  }, 60_000);

  it('is refused when made with the signature key missing while a signature certificate is renewed', async () => {
    const target = await victim();
    const gateway = rig.client(lobby);
    const request = unproven(target, 'attack-no-signature-proof');
    const challenge = await gateway.possessionChallenge(request.renewalId, target.serial);
    const onlyAuthentication = signPossession(challenge, request.publicKeys, { authentication: target.keys.authentication });
    await expect(gateway.issue({ ...request, possession: onlyAuthentication })).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/signature certificate's key/),
    });
    await untouched(target, lobby, [request.renewalId]);
  }, 60_000);
});

describe('issuer proofs', () => {
  it('are given only for the card the certificate was issued to, and a card refuses one made for another card or purpose', async () => {
    const first = await victim();
    const second = await victim();
    const gateway = rig.client(counter);
    // The service will not sign for a chip serial that is not the resident's card.
    const mismatched = issuerProofFor(second.image, first.serial, 'attack-card');
    await expect(gateway.issuerProof(mismatched.request)).rejects.toMatchObject({ failure: 'refused' });

    const asked = issuerProofFor(first.image, first.serial, 'attack-card');
    const proof = await gateway.issuerProof(asked.request);
    expect(asked.cardAccepts(proof)).toBe(true);
    // The same answer on another card: its chip serial is not the one signed.
    expect(asked.cardAccepts(proof, second.image)).toBe(false);

    // On the real emulator: the proof for the first card, relayed to the second, and for another purpose.
    const onSecond = new VirtualMyNumberCard(second.image);
    const reader = new VirtualReader();
    reader.insert(onSecond);
    const client = new IssuerChannelClient(await reader.connect(VIRTUAL_READER_NAME, { exclusive: true }));
    const challenge = await client.getChallenge();
    const relayed = await gateway.issuerProof({ ...issuerProofFor(first.image, first.serial, 'attack-card').request, challenge });
    await expect(client.issuerAuthenticate(relayed, { purpose: 'renewal', reference: 'attack-card' })).rejects.toMatchObject({
      sw: 0x6982,
    });

    const ownChallenge = await client.getChallenge();
    const chipSerial = second.image.chipSerial!;
    const forRenewal = await gateway.issuerProof({
      purpose: 'renewal',
      reference: 'attack-purpose',
      chipSerial,
      authenticationSerial: second.serial,
      challenge: ownChallenge,
    });
    await expect(client.issuerAuthenticate(forRenewal, { purpose: 'pin-reset', reference: 'attack-purpose' })).rejects.toMatchObject({
      sw: 0x6982,
    });
    await expect(client.resetPin('authentication', '9999')).rejects.toMatchObject({ sw: 0x6982 });
    await untouched(first, counter, []);
    await untouched(second, counter, []);
  }, 60_000);

  it('for a PIN reset: refused to a lobby terminal and without the identity check; given to a counter with it, and recorded', async () => {
    const target = await victim();
    const asked = issuerProofFor(target.image, target.serial, 'session-reset-1', 'pin-reset');
    const identityCheck = { staffId: 'clerk-7', checkedAt: new Date().toISOString(), documentsA: 1, documentsB: 0, oralQuestioning: false };
    await expect(rig.client(lobby).issuerProof({ ...asked.request, identityCheck })).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/only at a counter/),
    });
    await expect(rig.client(counter).issuerProof(asked.request)).rejects.toMatchObject({ failure: 'refused' });
    await expect(
      rig.client(counter).issuerProof({ ...asked.request, identityCheck: { ...identityCheck, documentsA: 0 } }),
    ).rejects.toMatchObject({ failure: 'refused', message: expect.stringMatching(/names no document/) });
    const proof = await rig.client(counter).issuerProof({ ...asked.request, identityCheck });
    expect(asked.cardAccepts(proof)).toBe(true);
    const given = (await rig.world.jlis.issuerProofsGiven()).filter((row) => row.reference === 'session-reset-1');
    expect(given).toEqual([expect.objectContaining({ purpose: 'pin-reset', terminal_id: 'counter-01', staff_id: 'clerk-7' })]);
  }, 60_000);
});

describe('what only a counter may ask', () => {
  it('refuses a lobby terminal a proxy renewal and anything for a face-authentication card', async () => {
    const target = await victim();
    const lobbyGateway = rig.client(lobby);
    const proxied = await legitimateProof(lobbyGateway, { ...unproven(target, 'attack-proxy'), route: 'voluntary-proxy' }, target.keys);
    await expect(lobbyGateway.issue(proxied)).rejects.toMatchObject({ failure: 'refused', message: expect.stringMatching(/counter/) });
    await untouched(target, lobby, ['attack-proxy']);

    const face = await victim('face-authentication-card');
    await expect(lobbyGateway.issuerProof(issuerProofFor(face.image, face.serial, 'attack-face').request)).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/face-authentication/),
    });
    const faceRequest = unproven(face, 'attack-face', { authentication: newSpki().spki });
    const faceProved = await legitimateProof(lobbyGateway, faceRequest, face.keys);
    await expect(lobbyGateway.issue(faceProved)).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/face-authentication/),
    });
    // At a counter the same card is served.
    const counterGateway = rig.client(counter);
    const served = await counterGateway.issue(
      await legitimateProof(counterGateway, { ...faceRequest, renewalId: 'counter-face' }, face.keys),
    );
    expect(served.renewalId).toBe('counter-face');
    await counterGateway.voidUnconfirmed('counter-face');
  }, 60_000);
});

describe('terminal certificates', () => {
  const lookup = (terminal?: KeyPairPem) =>
    rig.raw({ path: '/v1/residents/lookup', body: '{"authenticationSerial":"AB12"}', ...(terminal ? { terminal } : {}) });

  it('refuses a request without a client certificate, and one from another CA, at the handshake', async () => {
    await expect(lookup()).rejects.toThrow();
    const stranger = await (await TerminalCa.create('Another City')).issueTerminal('lobby-01', 'lobby');
    await expect(lookup(stranger)).rejects.toThrow();
  });

  it('refuses an unknown, a revoked and an expired terminal certificate', async () => {
    const unknown = await rig.ca.issueTerminal('lobby-90', 'lobby');
    expect((await lookup(unknown)).status).toBe(401);
    const revoked = await rig.terminal('lobby-91', 'lobby');
    expect((await lookup(revoked)).status).toBe(200);
    rig.registry.revoke('lobby-91');
    expect((await lookup(revoked)).status).toBe(401);
    const expired = await rig.terminal('lobby-92', 'lobby', {
      notBefore: new Date(Date.now() - 86_400_000 * 2),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    // TLS refuses an expired client certificate before any route; the registry would too.
    await expect(lookup(expired).then((answer) => answer.status)).rejects.toThrow();
  });
});
