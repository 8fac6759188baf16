import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { generateKeyPair as generateKeyPairCallback, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { japanDate } from '../../main/domain/japan-calendar';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import type { CardImage } from '../../main/simulation/card/card-image';
import { listPersonas } from '../../main/simulation/personas';
import type { SimulatedWorld } from '../../main/simulation/world';
import { cardKeysOf, issuerProofFor, noProof, proven, type UnprovenRequest } from './card-proofs';

const generateKeyPair = promisify(generateKeyPairCallback);

/** Keys "generated on the card": SPKI DER of new RSA-2048 key pairs. */
export async function newKey(): Promise<Uint8Array> {
  const { publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * The gateway's contract, whoever implements it: the same cases in process
 * and over the network, on the embedded PGlite and on a PostgreSQL server.
 * `world` gives the simulated world behind the gateway (its cards and CA).
 */
export function gatewayContract(name: string, gateway: () => IssuanceGateway, world: () => SimulatedWorld): void {
  describe(`the gateway contract (${name})`, () => {
    const persona = listPersonas().find((candidate) => candidate.id === 'standard-in-window')!;
    let serial: string;
    let image: CardImage;
    let request: UnprovenRequest;

    beforeAll(async () => {
      ({ image } = await world().freshCard(persona));
      serial = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64')).serialNumber.toUpperCase();
      request = {
        renewalId: `contract-${name.replace(/[^A-Za-z0-9._:-]+/g, '-')}-${randomBytes(4).toString('hex')}`,
        authenticationSerial: serial,
        publicKeys: { authentication: await newKey(), signature: await newKey() },
        renewedOn: japanDate(new Date()),
        route: 'in-person',
      };
    }, 60_000);

    it('knows the resident behind a current certificate, and nobody behind an unknown one', async () => {
      expect(await gateway().lookupResident(serial)).toMatchObject({ authenticationSerial: serial, adultWard: false });
      expect(await gateway().lookupResident('ABCDEF0123')).toBeUndefined();
    });

    it("signs the card's challenge with the issuing authority's key, for this card, purpose and renewal", async () => {
      const asked = issuerProofFor(image, serial, request.renewalId);
      const proof = await gateway().issuerProof(asked.request);
      expect(asked.cardAccepts(proof)).toBe(true);
    });

    it('issues only with a proof of possession by the current keys, and refuses a request without one', async () => {
      await expect(gateway().issue({ ...request, possession: noProof() })).rejects.toMatchObject({ failure: 'refused' });
      expect(await gateway().issuedFor(request.renewalId)).toBeUndefined();
    });

    it('issues once per renewal id: the same certificates again for the same keys, a refusal for other keys', async () => {
      const proved = await proven(gateway(), request, cardKeysOf(image));
      const first = await gateway().issue(proved);
      const again = await gateway().issue(proved);
      expect(Buffer.from(again.authentication.der).equals(Buffer.from(first.authentication.der))).toBe(true);
      expect(again.signature?.serialNumber).toBe(first.signature?.serialNumber);
      await expect(gateway().issue({ ...proved, publicKeys: { authentication: await newKey() } })).rejects.toMatchObject({
        failure: 'refused',
      });
      expect((await gateway().issuedFor(request.renewalId))?.authentication.serialNumber).toBe(first.authentication.serialNumber);
      expect(await gateway().certificateStatus(first.authentication.der)).toBe('valid');
    }, 30_000);

    it('revokes the old certificates once the new set is confirmed, and confirming again changes nothing', async () => {
      await gateway().confirmWritten(request.renewalId);
      await gateway().confirmWritten(request.renewalId);
      expect((await gateway().lookupResident(serial))?.authenticationSerial).not.toBe(serial);
      await expect(gateway().voidUnconfirmed(request.renewalId)).rejects.toMatchObject({ failure: 'refused' });
      expect(await gateway().certificateStatus(new Uint8Array(randomBytes(40)))).toBe('unknown');
    });
  });
}
