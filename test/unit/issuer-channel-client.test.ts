import { createHash, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../main/card/apdu';
import { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import { CardStatusError } from '../../main/card/status-words';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import {
  TEST_CHIP_SERIAL,
  TEST_PINS,
  TEST_REFERENCE,
  issuerProof,
  publicKeyFromModulus,
  testCardImage,
  testCertificate,
} from './helpers/test-card-image';

async function channel() {
  const card = new VirtualMyNumberCard(testCardImage('my-number'));
  const reader = new VirtualReader();
  reader.insert(card);
  const client = new IssuerChannelClient(await reader.connect(VIRTUAL_READER_NAME, { exclusive: true }));
  return { card, client };
}

const RENEWAL = { purpose: 'renewal', reference: TEST_REFERENCE } as const;

const digestInfo = (message: string) =>
  Buffer.concat([fromHex('3031300d060960864801650304020105000420'), createHash('sha256').update(message).digest()]);

describe('the issuer channel client', () => {
  it('renews both key pairs and certificates on the card, visible only after commit', async () => {
    const { client } = await channel();
    const before = await client.readCertificate('authentication');
    expect(
      Buffer.from(await client.chipSerial())
        .toString('hex')
        .toUpperCase(),
    ).toBe(TEST_CHIP_SERIAL);
    await client.issuerAuthenticate(issuerProof(await client.getChallenge()), RENEWAL);
    const authModulus = await client.generateKeyPair('authentication');
    const signModulus = await client.generateKeyPair('signature');
    expect(await client.readPublicKey('authentication', 'staged')).toEqual(authModulus);

    const authCertificate = await testCertificate(publicKeyFromModulus(authModulus), 'auth-renewed');
    const signCertificate = await testCertificate(publicKeyFromModulus(signModulus), 'sign-renewed');
    await client.writeStagedCertificate('authentication', authCertificate);
    await client.writeStagedCertificate('signature', signCertificate);
    expect(await client.readCertificate('authentication')).toEqual(before);

    await client.commit();
    expect(await client.readCertificate('authentication')).toEqual(authCertificate);
    expect(await client.readPublicKey('authentication', 'current')).toEqual(authModulus);

    // The new key signs, and the new certificate verifies it.
    await client.verify('authentication', TEST_PINS.authentication);
    const signature = await client.sign('authentication', digestInfo('fresh challenge'));
    expect(verify('sha256', Buffer.from('fresh challenge'), new X509Certificate(Buffer.from(authCertificate)).publicKey, signature)).toBe(
      true,
    );
  });

  it('is refused without the issuer proof, and with a proof for another challenge', async () => {
    const { client } = await channel();
    await expect(client.generateKeyPair('authentication')).rejects.toMatchObject({ sw: 0x6982 });
    const stale = await client.getChallenge();
    await client.getChallenge();
    await expect(client.issuerAuthenticate(issuerProof(stale), RENEWAL)).rejects.toBeInstanceOf(CardStatusError);
  });

  it('sends the purpose and the reference the proof was made for: another of either is refused', async () => {
    const { client } = await channel();
    const proof = issuerProof(await client.getChallenge(), undefined, { reference: 'renewal-A' });
    await expect(client.issuerAuthenticate(proof, { purpose: 'renewal', reference: 'renewal-B' })).rejects.toMatchObject({ sw: 0x6982 });
    const forReset = issuerProof(await client.getChallenge(), undefined, { purpose: 'pin-reset' });
    await expect(client.issuerAuthenticate(forReset, RENEWAL)).rejects.toMatchObject({ sw: 0x6982 });
    await client.issuerAuthenticate(issuerProof(await client.getChallenge(), undefined, { reference: 'renewal-B' }), {
      purpose: 'renewal',
      reference: 'renewal-B',
    });
    expect(await client.generateKeyPair('authentication')).toHaveLength(256);
  });

  it('discards what is staged', async () => {
    const { client } = await channel();
    await client.issuerAuthenticate(issuerProof(await client.getChallenge()), RENEWAL);
    await client.generateKeyPair('authentication');
    await client.discardStaged();
    expect(await client.readPublicKey('authentication', 'staged')).toBeUndefined();
  });

  it('resets a blocked PIN to a new value with full tries, refusing a malformed one locally', async () => {
    const { client } = await channel();
    for (const wrong of ['0000', '0001', '0002']) await client.verify('registry', wrong);
    expect(await client.pinStatus('registry')).toEqual({ state: 'blocked' });
    await client.issuerAuthenticate(issuerProof(await client.getChallenge(), undefined, { purpose: 'pin-reset' }), {
      purpose: 'pin-reset',
      reference: TEST_REFERENCE,
    });
    await expect(client.resetPin('registry', '12')).rejects.toMatchObject({ name: 'PinFormatError' });
    await client.resetPin('registry', '8642');
    expect(await client.pinStatus('registry')).toEqual({ state: 'available', triesLeft: 3 });
    expect(await client.verify('registry', '8642')).toEqual({ result: 'verified' });
  });
});
