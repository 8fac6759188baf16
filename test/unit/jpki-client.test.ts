import { createHash, verify, X509Certificate } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeCommand, encodeResponse, fromHex } from '../../main/card/apdu';
import { JpkiClient, derLength } from '../../main/card/jpki-client';
import { PinFormatError } from '../../main/domain/pin-rules';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { CardResponseError, CardStatusError, SW, statusKind } from '../../main/card/status-words';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import type { CardKind } from '../../main/simulation/card/card-image';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { TEST_PINS, testCardImage } from './helpers/test-card-image';

/** A client on the virtual card in the virtual reader, counting the APDUs it sends. */
async function clientFor(kind: CardKind = 'my-number', wrap: (connection: CardConnection) => CardConnection = (c) => c) {
  const image = testCardImage(kind);
  const card = new VirtualMyNumberCard(image);
  const reader = new VirtualReader();
  reader.start(() => {});
  reader.insert(card);
  const connection = wrap(await reader.connect(VIRTUAL_READER_NAME, { exclusive: true }));
  const operations: string[] = [];
  const client = new JpkiClient(connection, { onExchange: (operation) => operations.push(operation) });
  return { client, card, reader, image, operations, connection };
}

const sha256DigestInfo = (message: string) =>
  Buffer.concat([fromHex('3031300d060960864801650304020105000420'), createHash('sha256').update(message).digest()]);

describe('identifying the card', () => {
  it.each([
    ['my-number', 'JPKIAPICCTOKEN2'],
    ['face-auth', 'JPKIAPICCTOKEN2'],
    ['juki', 'JPKIAPICCTOKEN'],
  ] as const)('tells a %s card by SELECT and its token label', async (kind, label) => {
    const { client } = await clientFor(kind);
    const status = await client.readStatus();
    expect(status.kind).toBe(kind);
    expect(status.tokenLabel).toBe(label);
  });

  it('tells a card without the JPKI application', async () => {
    const { client, operations } = await clientFor('not-my-number');
    expect((await client.readStatus()).kind).toBe('not-my-number');
    expect(operations).toEqual(['SELECT jpki application']);
  });
});

describe('the status read', () => {
  it('gives the authentication certificate, tries left and the signature certificate flag', async () => {
    const { client, image } = await clientFor('my-number');
    const status = await client.readStatus();
    const expected = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64'));
    expect(status.authenticationCertificate?.serialNumber).toBe(expected.serialNumber.toUpperCase());
    expect(status.authenticationCertificate?.notAfter.toISOString()).toBe(new Date(expected.validTo).toISOString());
    expect(status.signatureCertificatePresent).toBe(true);
    expect(status.pins).toEqual({
      authentication: { state: 'available', triesLeft: 3 },
      signature: { state: 'available', triesLeft: 5 },
      registry: { state: 'available', triesLeft: 3 },
    });
  });

  it('spends no try and changes nothing on the card', async () => {
    const { client, card } = await clientFor('my-number');
    const before = JSON.stringify(card.snapshot());
    for (let i = 0; i < 4; i++) await client.readStatus();
    expect(JSON.stringify(card.snapshot())).toBe(before);
  });

  it('shows the face-authentication card without PINs', async () => {
    const { client } = await clientFor('face-auth');
    const status = await client.readStatus();
    expect(status.pins.authentication).toEqual({ state: 'absent' });
    expect(status.signatureCertificatePresent).toBe(false);
  });

  it('takes at most 16 short APDUs, and at most 10 where extended length works', async () => {
    const short = await clientFor('my-number');
    const shortOnly = new JpkiClient(short.connection, {
      extendedLength: 'never',
      onExchange: (operation) => short.operations.push(operation),
    });
    await shortOnly.readStatus();
    expect(short.operations.length).toBeLessThanOrEqual(16);

    const extended = await clientFor('my-number');
    await extended.client.readStatus();
    expect(extended.client.extendedLength).toBe('works');
    expect(extended.operations.length).toBeLessThanOrEqual(10);
  });
});

describe('certificates', () => {
  it.each(['authentication', 'authenticationCa', 'signatureCa'] as const)('reads the %s certificate whole', async (name) => {
    const { client, image } = await clientFor();
    const slot = {
      authentication: image.jpki!.authentication.certificate,
      authenticationCa: image.jpki!.authenticationCa,
      signatureCa: image.jpki!.signatureCa,
    }[name];
    expect(Buffer.from((await client.readCertificate(name))!).toString('base64')).toBe(slot);
  });

  it('reads the signature certificate only after the signature password', async () => {
    const { client, image } = await clientFor();
    await expect(client.readCertificate('signature')).rejects.toMatchObject({ sw: 0x6982, kind: 'security-status-not-satisfied' });
    expect(await client.verify('signature', TEST_PINS.signature.toLowerCase())).toEqual({ result: 'verified' });
    expect(Buffer.from((await client.readCertificate('signature'))!).toString('base64')).toBe(image.jpki!.signature.certificate);
  });

  it('reads chunk by chunk, in short APDUs, when the reader cannot carry extended ones', async () => {
    const refusing = (connection: CardConnection): CardConnection => ({
      ...connection,
      reader: connection.reader,
      atr: connection.atr,
      disconnect: (options) => connection.disconnect(options),
      transmit: async (command) => {
        if (decodeCommand(command).form === 'extended') throw new ReaderError('transmit-failed', 'Transaction failed.');
        return connection.transmit(command);
      },
    });
    const { client, image } = await clientFor('my-number', refusing);
    const der = await client.readCertificate('authentication');
    expect(Buffer.from(der!).toString('base64')).toBe(image.jpki!.authentication.certificate);
    expect(client.extendedLength).toBe('refused');
  });

  it('falls back when the card answers 6700 to an extended read', async () => {
    const { client, image } = await clientFor('my-number', (connection) => ({
      reader: connection.reader,
      atr: connection.atr,
      disconnect: (options) => connection.disconnect(options),
      transmit: async (command) =>
        decodeCommand(command).form === 'extended' ? encodeResponse(SW.WRONG_LENGTH) : connection.transmit(command),
    }));
    expect(Buffer.from((await client.readCertificate('authenticationCa'))!).toString('base64')).toBe(image.jpki!.authenticationCa);
    expect(client.extendedLength).toBe('refused');
  });

  it('reports a pulled card as a typed "card removed" error', async () => {
    const { client, reader } = await clientFor();
    reader.remove();
    await expect(client.readCertificate('authentication')).rejects.toMatchObject({ name: 'ReaderError', code: 'card-removed' });
  });

  it.each([
    ['3082FFFF', /cannot be on this card/],
    ['31820100', /expected a DER SEQUENCE/],
    ['3084000001', /unsupported DER length form/],
    ['3082', /cut short/],
  ])('refuses the DER header %s', (hex, message) => {
    expect(() => derLength(fromHex(hex), 'READ')).toThrow(message);
  });

  it('treats an erased EF as no certificate', () => {
    expect(derLength(fromHex('FFFFFFFF'), 'READ')).toBeUndefined();
    expect(derLength(fromHex('00000000'), 'READ')).toBeUndefined();
    expect(derLength(fromHex('308203E8'), 'READ')).toBe(1004);
    expect(derLength(fromHex('3081F0'), 'READ')).toBe(243);
    expect(derLength(fromHex('3010'), 'READ')).toBe(18);
  });
});

describe('PINs', () => {
  let setup: Awaited<ReturnType<typeof clientFor>>;
  beforeEach(async () => {
    setup = await clientFor();
  });

  it.each([
    ['authentication', 3],
    ['signature', 5],
    ['registry', 3],
  ] as const)('counts the %s PIN down to blocked, then answers blocked without touching the counter', async (pin, max) => {
    const { client } = setup;
    const wrong = pin === 'signature' ? 'WRONG1' : '0000';
    for (let left = max - 1; left >= 1; left--) expect(await client.verify(pin, wrong)).toEqual({ result: 'wrong', triesLeft: left });
    expect(await client.verify(pin, wrong)).toEqual({ result: 'blocked' });
    expect(await client.pinStatus(pin)).toEqual({ state: 'blocked' });
    // 6984 now, even for the right value.
    const right = { authentication: TEST_PINS.authentication, signature: TEST_PINS.signature, registry: TEST_PINS.residentRegistry }[pin];
    expect(await client.verify(pin, right)).toEqual({ result: 'blocked' });
  });

  it('restores the counter on a correct entry', async () => {
    const { client } = setup;
    await client.verify('authentication', '0000');
    await client.verify('authentication', '0001');
    expect(await client.pinStatus('authentication')).toEqual({ state: 'available', triesLeft: 1 });
    expect(await client.verify('authentication', TEST_PINS.authentication)).toEqual({ result: 'verified' });
    expect(await client.pinStatus('authentication')).toEqual({ state: 'verified' });
  });

  it('refuses a malformed PIN without sending anything', async () => {
    const { client, operations } = setup;
    await expect(client.verify('authentication', '123')).rejects.toBeInstanceOf(PinFormatError);
    await expect(client.verify('signature', 'ABCDEF')).rejects.toMatchObject({ problem: 'needs-letter-and-digit' });
    await expect(client.verify('registry', '12a4')).rejects.toMatchObject({ problem: 'bad-characters' });
    expect(operations).toEqual([]);
  });

  it('never puts the PIN in an error message', async () => {
    const { client } = setup;
    const error = await client.verify('signature', 'ABC12').then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(PinFormatError);
    expect(error?.message).not.toContain('ABC12');
  });

  it('changes a verified PIN; the new value holds after a power cycle', async () => {
    const { client, card, connection } = setup;
    await expect(client.changePin('authentication', '5678')).rejects.toMatchObject({ sw: 0x6982 });
    await client.verify('authentication', TEST_PINS.authentication);
    await client.changePin('authentication', '5678');
    card.powerDown();
    const again = new JpkiClient(connection);
    expect(await again.verify('authentication', TEST_PINS.authentication)).toEqual({ result: 'wrong', triesLeft: 2 });
    expect(await again.verify('authentication', '5678')).toEqual({ result: 'verified' });
  });
});

describe('signing', () => {
  it('signs a DigestInfo that the certificate key verifies', async () => {
    const { client, image } = await clientFor();
    await expect(client.sign('authentication', sha256DigestInfo('challenge'))).rejects.toMatchObject({ sw: 0x6982 });
    await client.verify('authentication', TEST_PINS.authentication);
    const signature = await client.sign('authentication', sha256DigestInfo('challenge'));
    const publicKey = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64')).publicKey;
    expect(verify('sha256', Buffer.from('challenge'), publicKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('another challenge'), publicKey, signature)).toBe(false);
  });
});

describe('status words', () => {
  it.each([
    [0x63c2, 'wrong-pin'],
    [0x63c0, 'wrong-pin'],
    [0x6984, 'pin-blocked'],
    [0x6982, 'security-status-not-satisfied'],
    [0x6a82, 'file-not-found'],
    [0x6a86, 'wrong-p1p2'],
    [0x6a80, 'wrong-data'],
    [0x6b00, 'offset-beyond-end'],
    [0x6700, 'wrong-length'],
    [0x6985, 'conditions-not-satisfied'],
    [0x6981, 'command-incompatible-with-file'],
    [0x6d00, 'instruction-not-supported'],
    [0x6e00, 'class-not-supported'],
    [0x6f00, 'unexpected-status'],
  ] as const)('%s is %s, carried in a typed error', (sw, kind) => {
    expect(statusKind(sw)).toBe(kind);
    const error = new CardStatusError(sw, 'VERIFY');
    expect(error.sw).toBe(sw);
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(sw.toString(16).toUpperCase());
  });

  it('gives the tries left of a 63Cx', () => {
    expect(new CardStatusError(0x63c2, 'VERIFY').triesLeft).toBe(2);
    expect(new CardStatusError(0x6982, 'VERIFY').triesLeft).toBeUndefined();
  });

  it('makes an answer without a status word a typed response error', async () => {
    const { client } = await clientFor('my-number', (connection) => ({
      ...connection,
      reader: connection.reader,
      atr: connection.atr,
      disconnect: connection.disconnect.bind(connection),
      transmit: async () => new Uint8Array([0x90]),
    }));
    await expect(client.readStatus()).rejects.toBeInstanceOf(CardResponseError);
  });
});
