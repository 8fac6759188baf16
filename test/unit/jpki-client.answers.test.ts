import { createHash, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeResponse, fromHex, type ApduForm, type CommandApdu } from '../../main/card/apdu';
import { JpkiClient, derLength } from '../../main/card/jpki-client';
import { ReaderError } from '../../main/card/reader-errors';
import { ok, scriptedCard, type Sent } from './helpers/scripted-card';
import { CardResponseError, CardStatusError } from '../../main/card/status-words';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { TEST_PINS, testCardImage } from './helpers/test-card-image';

// What the JPKI client makes of each answer a card can give, with the card scripted APDU by APDU: the
// answers a well-behaved virtual card never gives (an unexpected status word, a file cut short, a card
// pulled during the extended-length probe) are the ones a real card or reader may. Status words are
// written out as the card's documentation gives them (docs/card-protocol.md), never taken from SW.

const isSelect = (command: Sent) => command.ins === 0xa4;
const isVerify = (command: Sent) => command.ins === 0x20;
const isRead = (command: Sent) => command.ins === 0xb0;

/** A DER SEQUENCE of `length` content bytes (a stand-in certificate: the client sizes it from the header). */
function derOf(length: number): Uint8Array {
  const header = length < 0x80 ? [0x30, length] : [0x30, 0x82, length >> 8, length & 0xff];
  const der = new Uint8Array(header.length + length);
  der.set(header);
  for (let i = header.length; i < der.length; i++) der[i] = i & 0xff;
  return der;
}

/** A card that holds `certificate` in every certificate EF and answers READ BINARY from it, short or extended. */
function certificateCard(certificate: Uint8Array, extended: 'answers' | Uint8Array = 'answers') {
  return scriptedCard((command) => {
    if (isSelect(command)) return ok();
    if (!isRead(command)) return encodeResponse(0x6d00);
    if (command.form === 'extended' && extended !== 'answers') return extended;
    const offset = command.p1 & 0x80 ? 0 : (command.p1 << 8) | command.p2;
    return ok(certificate.subarray(offset, offset + command.le!));
  });
}

describe('an unexpected status word is an error, never a PIN state', () => {
  // 6A80 wrong data, 6D00 instruction not supported, 6F00 no precise diagnosis: none says anything of a PIN.
  it.each([0x6a80, 0x6d00, 0x6f00, 0x6982])('VERIFY answered %s: a CardStatusError, not "wrong" or "blocked"', async (sw) => {
    const { connection } = scriptedCard((command) => (isVerify(command) ? encodeResponse(sw) : ok()));
    const client = new JpkiClient(connection);
    await expect(client.verify('authentication', TEST_PINS.authentication)).rejects.toMatchObject({
      name: 'CardStatusError',
      sw,
      message: expect.stringContaining('VERIFY authentication PIN'),
    });
  });

  it.each([0x6a80, 0x6d00, 0x6f00, 0x6982])(
    'the tries-left query answered %s: a CardStatusError, not "absent" or "blocked"',
    async (sw) => {
      const { connection } = scriptedCard((command) => (isVerify(command) ? encodeResponse(sw) : ok()));
      const client = new JpkiClient(connection);
      await expect(client.pinStatus('signature')).rejects.toBeInstanceOf(CardStatusError);
      await expect(client.pinStatus('signature')).rejects.toMatchObject({
        sw,
        message: expect.stringContaining('tries left for the signature PIN'),
      });
    },
  );

  it('the tries-left query reads each answer the documentation gives it', async () => {
    const answers = new Map<number, object>([
      [0x9000, { state: 'verified' }],
      [0x63c3, { state: 'available', triesLeft: 3 }],
      [0x63c1, { state: 'available', triesLeft: 1 }],
      [0x63cf, { state: 'available', triesLeft: 15 }],
      [0x63c0, { state: 'blocked' }],
      [0x6984, { state: 'blocked' }],
      [0x6a82, { state: 'absent' }],
    ]);
    for (const [sw, state] of answers) {
      const { connection, sent } = scriptedCard((command) => (isVerify(command) ? encodeResponse(sw) : ok()));
      expect(await new JpkiClient(connection).pinStatus('registry'), sw.toString(16)).toEqual(state);
      // VERIFY with no data (spends nothing), P2 = 80 | the PIN's short EF id (registry: 1C).
      expect(sent.at(-1)).toMatchObject({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x9c });
      expect(sent.at(-1)!.data).toBeUndefined();
    }
  });

  it('VERIFY reads each answer the documentation gives it, and sends the PIN once', async () => {
    const answers = new Map<number, object>([
      [0x9000, { result: 'verified' }],
      [0x63c2, { result: 'wrong', triesLeft: 2 }],
      [0x63c1, { result: 'wrong', triesLeft: 1 }],
      [0x63c0, { result: 'blocked' }],
      [0x6984, { result: 'blocked' }],
    ]);
    for (const [sw, result] of answers) {
      const { connection, sent } = scriptedCard((command) => (isVerify(command) ? encodeResponse(sw) : ok()));
      expect(await new JpkiClient(connection).verify('authentication', '1234'), sw.toString(16)).toEqual(result);
      const verifies = sent.filter(isVerify);
      expect(verifies).toHaveLength(1);
      // P2 = 80 | 18 (the authentication PIN's EF), the PIN's ASCII bytes as data.
      expect(verifies[0]).toMatchObject({ p2: 0x98, data: Uint8Array.from(Buffer.from('1234')) });
    }
  });

  it('a card without the PIN\'s application says "absent" for the tries left and refuses the VERIFY', async () => {
    const { connection } = scriptedCard((command) => (isSelect(command) ? encodeResponse(0x6a82) : ok()));
    const client = new JpkiClient(connection);
    expect(await client.pinStatus('registry')).toEqual({ state: 'absent' });
    await expect(client.verify('registry', '1234')).rejects.toMatchObject({ sw: 0x6a82 });
  });
});

describe('extended length', () => {
  it('"never": the first certificate read is already short, and the client says so from the start', async () => {
    const certificate = derOf(600);
    const { connection, sent } = certificateCard(certificate);
    const client = new JpkiClient(connection, { extendedLength: 'never' });
    expect(client.extendedLength).toBe('refused');
    expect(await client.readCertificate('authentication')).toEqual(certificate);
    const reads = sent.filter(isRead);
    expect(reads.every((read) => read.form === 'short' && read.le! <= 256)).toBe(true);
    // 600 + 4 header bytes in 256-byte chunks: 256, 256, 92.
    expect(reads.map((read) => read.le)).toEqual([256, 256, 92]);
  });

  it('"auto": one extended read takes the whole certificate where the card answers it', async () => {
    const certificate = derOf(1000);
    const { connection, sent } = certificateCard(certificate);
    const client = new JpkiClient(connection);
    expect(client.extendedLength).toBe('untested');
    expect(await client.readCertificate('authentication')).toEqual(certificate);
    expect(sent.filter(isRead).map((read) => read.form)).toEqual(['extended']);
    expect(client.extendedLength).toBe('works');
  });

  it.each([
    ['6700 (wrong length)', 0x6700],
    ['6A86 (wrong P1-P2)', 0x6a86],
    ['6D00 (instruction not supported)', 0x6d00],
  ])('falls back for good after the card refuses it with %s: the next reads never try it again', async (_name, sw) => {
    const certificate = derOf(300);
    const { connection, sent } = certificateCard(certificate, encodeResponse(sw));
    const client = new JpkiClient(connection);
    expect(await client.readCertificate('authentication')).toEqual(certificate);
    expect(await client.readCertificate('authenticationCa')).toEqual(certificate);
    expect(await client.readCertificate('signatureCa')).toEqual(certificate);
    expect(sent.filter((command) => isRead(command) && command.form === 'extended')).toHaveLength(1);
    expect(client.extendedLength).toBe('refused');
  });

  it("any other refusal of the extended read is the card's error, not a reason to fall back", async () => {
    const { connection } = certificateCard(derOf(300), encodeResponse(0x6982));
    const client = new JpkiClient(connection);
    await expect(client.readCertificate('authentication')).rejects.toMatchObject({ sw: 0x6982 });
    expect(client.extendedLength).toBe('works');
  });

  it('a card pulled during the probe is reported as pulled, and the probe is not counted as refused', async () => {
    const { connection } = scriptedCard((command) => {
      if (isRead(command)) throw new ReaderError('card-removed', 'The smart card has been removed.');
      return ok();
    });
    const client = new JpkiClient(connection);
    await expect(client.readCertificate('authentication')).rejects.toMatchObject({ name: 'ReaderError', code: 'card-removed' });
    expect(client.extendedLength).toBe('untested');
  });
});

describe('a certificate file that is not whole', () => {
  it('an empty EF answered 6B00 (offset beyond the end) is no certificate', async () => {
    for (const extendedLength of ['auto', 'never'] as const) {
      const { connection } = scriptedCard((command) => (isRead(command) ? encodeResponse(0x6b00) : ok()));
      expect(await new JpkiClient(connection, { extendedLength }).readCertificate('authentication')).toBeUndefined();
    }
  });

  it('a short chunk in the middle: a response error that names where the file ended', async () => {
    const certificate = derOf(700);
    const { connection } = scriptedCard((command) => {
      if (!isRead(command)) return ok();
      const offset = command.p1 & 0x80 ? 0 : (command.p1 << 8) | command.p2;
      // The second chunk comes back 100 bytes short of what was asked.
      const length = offset === 256 ? command.le! - 100 : command.le!;
      return ok(certificate.subarray(offset, offset + length));
    });
    const client = new JpkiClient(connection, { extendedLength: 'never' });
    await expect(client.readCertificate('authentication')).rejects.toThrow(CardResponseError);
    await expect(client.readCertificate('authentication')).rejects.toThrow('the file ends at 412 bytes, its DER header says 704');
  });

  it('an empty chunk before the end: the same error, not an endless loop', async () => {
    const certificate = derOf(400);
    const { connection } = scriptedCard((command) => {
      if (!isRead(command)) return ok();
      const offset = command.p1 & 0x80 ? 0 : (command.p1 << 8) | command.p2;
      return ok(offset === 0 ? certificate.subarray(0, command.le!) : new Uint8Array(0));
    });
    const client = new JpkiClient(connection, { extendedLength: 'never' });
    await expect(client.readCertificate('authentication')).rejects.toThrow('the file ends at 256 bytes, its DER header says 404');
  });

  it('reads the chunks after the first at the offsets where each one ends, in P1-P2', async () => {
    const certificate = derOf(700);
    const { connection, sent } = certificateCard(certificate);
    await new JpkiClient(connection, { extendedLength: 'never' }).readCertificate('authentication');
    const reads = sent.filter(isRead);
    // The first by short EF id (P1 = 80 | 0A); then offsets 256 (0100) and 512 (0200).
    expect(reads.map((read) => [read.p1, read.p2, read.le])).toEqual([
      [0x8a, 0x00, 256],
      [0x01, 0x00, 256],
      [0x02, 0x00, 192],
    ]);
  });
});

describe('signing picks the key the caller names', () => {
  async function virtualCard() {
    const image = testCardImage('my-number');
    const reader = new VirtualReader();
    reader.start(() => {});
    reader.insert(new VirtualMyNumberCard(image));
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    return { client: new JpkiClient(connection), image };
  }
  const digestInfo = (message: string) =>
    Buffer.concat([fromHex('3031300d060960864801650304020105000420'), createHash('sha256').update(message).digest()]);
  const keyOf = (base64: string) => new X509Certificate(Buffer.from(base64, 'base64')).publicKey;

  it('the signature key signs what the signature certificate verifies, and the authentication certificate does not', async () => {
    const { client, image } = await virtualCard();
    await client.verify('signature', TEST_PINS.signature);
    const signature = await client.sign('signature', digestInfo('a document'));
    expect(signature).toHaveLength(256);
    expect(verify('sha256', Buffer.from('a document'), keyOf(image.jpki!.signature.certificate!), signature)).toBe(true);
    expect(verify('sha256', Buffer.from('a document'), keyOf(image.jpki!.authentication.certificate!), signature)).toBe(false);
  });

  it('selects the key file before signing: 001A for the signature key, 0017 for the authentication key', async () => {
    for (const [key, fid] of [
      ['signature', [0x00, 0x1a]],
      ['authentication', [0x00, 0x17]],
    ] as const) {
      const { connection, sent } = scriptedCard((command) => (command.ins === 0x2a ? ok(new Uint8Array(256)) : ok()));
      await new JpkiClient(connection).sign(key, digestInfo('x'));
      const selectKey = sent.find((command) => isSelect(command) && command.p1 === 0x02);
      expect(selectKey).toMatchObject({ cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.from(fid) });
      // PERFORM SECURITY OPERATION: compute digital signature (80 2A 00 80), the DigestInfo as data, 256 bytes back.
      expect(sent.at(-1)).toMatchObject({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, le: 256 });
    }
  });

  it("a signature that is not 256 bytes is the card's error", async () => {
    const { connection } = scriptedCard((command) => (command.ins === 0x2a ? ok(new Uint8Array(128)) : ok()));
    await expect(new JpkiClient(connection).sign('authentication', digestInfo('x'))).rejects.toThrow(
      'an RSA-2048 signature is 256 bytes, the card gave 128',
    );
  });
});

describe('what each failure names: the operation the client was doing', () => {
  const refusing = (refused: (command: Sent) => boolean, sw = 0x6982) =>
    scriptedCard((command) => (refused(command) ? encodeResponse(sw) : ok(new Uint8Array(256))));
  const isSelectFile = (command: Sent) => isSelect(command) && command.p1 === 0x02;

  it.each([
    ['the token info', (client: JpkiClient) => client.readTokenLabel(), isRead, 'READ token info'],
    ['the availability file', (client: JpkiClient) => client.readSignatureCertificatePresent(), isRead, 'READ availability'],
    ['a certificate', (client: JpkiClient) => client.readCertificate('signatureCa'), isRead, 'READ signatureCa certificate'],
    ['a PIN change', (client: JpkiClient) => client.changePin('signature', 'ABC123'), (c: Sent) => c.ins === 0x24, 'CHANGE signature PIN'],
    [
      "the PIN's file before a change",
      (client: JpkiClient) => client.changePin('signature', 'ABC123'),
      isSelectFile,
      'SELECT signature PIN file',
    ],
    [
      'the key file before signing',
      (client: JpkiClient) => client.sign('signature', new Uint8Array(51)),
      isSelectFile,
      'SELECT signature key',
    ],
    [
      'a signature',
      (client: JpkiClient) => client.sign('signature', new Uint8Array(51)),
      (c: Sent) => c.ins === 0x2a,
      'SIGN with the signature key',
    ],
  ] as const)('%s', async (_name, act, refused, operation) => {
    const { connection } = refusing(refused);
    await expect(act(new JpkiClient(connection))).rejects.toMatchObject({ name: 'CardStatusError', sw: 0x6982, operation });
  });

  it('an application the card does not have, where the step needs it', async () => {
    const { connection } = refusing((command) => isSelect(command) && command.p1 === 0x04, 0x6a82);
    const client = new JpkiClient(connection);
    await expect(client.verify('registry', '1234')).rejects.toMatchObject({ sw: 0x6a82, operation: 'SELECT residentRegistry application' });
    await expect(client.readTokenLabel()).rejects.toMatchObject({ sw: 0x6a82, operation: 'SELECT jpki application' });
  });

  it('a certificate that does not parse names its file', async () => {
    const { connection } = certificateCard(derOf(300));
    await expect(new JpkiClient(connection).readCertificateSummary('authentication')).rejects.toMatchObject({
      name: 'CardResponseError',
      operation: 'READ authentication certificate',
      message: 'READ authentication certificate: the certificate does not parse as X.509',
    });
  });

  it('an answer too short to hold a status word: a response error naming the operation, the codec error as its cause', async () => {
    const { connection } = scriptedCard((command) => (isVerify(command) ? Uint8Array.of(0x90) : ok()));
    const error = await new JpkiClient(connection).pinStatus('authentication').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CardResponseError);
    expect(error).toMatchObject({
      operation: 'tries left for the authentication PIN',
      message: 'tries left for the authentication PIN: a response needs a status word (got one byte)',
      cause: { name: 'MalformedResponseError' },
    });
  });
});

describe('what the files without a PIN read as', () => {
  /** A card with the JPKI application whose token info holds `label`, with no certificate and three tries on each PIN. */
  function labelledCard(label: Uint8Array, availability = Uint8Array.of(0x8f, 0x00, 0x00)) {
    return scriptedCard((command) => {
      if (isSelect(command)) return ok();
      if (isVerify(command)) return encodeResponse(0x63c3);
      if (isRead(command) && command.le === 32) return ok(label);
      if (isRead(command) && command.le === 3) return ok(availability);
      return encodeResponse(0x6b00);
    });
  }
  const latin1 = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

  it('the token label loses its trailing spaces and NULs, and only those', async () => {
    const { connection } = labelledCard(latin1('A LABEL\u0000 \u0000\u0000'));
    expect(await new JpkiClient(connection).readTokenLabel()).toBe('A LABEL');
  });

  it.each([
    ['JPKIAPICCTOKEN2', 'my-number'],
    ['JPKIAPICCTOKEN', 'juki'],
    ['JPKIAPGPSETOKEN', 'phone'],
    ['JPKIAPIOSTOKEN', 'phone'],
    ['SOMEOTHERTOKEN', 'unknown-token'],
  ])('the token label %s is a %s', async (label, kind) => {
    const padded = new Uint8Array(32).fill(0x20);
    padded.set(latin1(label));
    const { connection } = labelledCard(padded);
    expect(await new JpkiClient(connection).readStatus()).toMatchObject({ kind, tokenLabel: label });
  });

  it("the availability file's first byte alone says whether the signature certificate is there", async () => {
    expect(await new JpkiClient(labelledCard(latin1(''), Uint8Array.of(0x8f)).connection).readSignatureCertificatePresent()).toBe(true);
    expect(await new JpkiClient(labelledCard(latin1(''), Uint8Array.of(0x00)).connection).readSignatureCertificatePresent()).toBe(false);
    await expect(new JpkiClient(labelledCard(latin1(''), new Uint8Array(0)).connection).readSignatureCertificatePresent()).rejects.toThrow(
      'READ availability: the availability file is empty',
    );
  });

  it('a card without the JPKI application: not a My Number Card, nothing else read', async () => {
    const { connection, sent } = scriptedCard((command) => (isSelect(command) ? encodeResponse(0x6a82) : ok()));
    expect(await new JpkiClient(connection).readStatus()).toEqual({
      kind: 'not-my-number',
      signatureCertificatePresent: false,
      pins: { authentication: { state: 'absent' }, signature: { state: 'absent' }, registry: { state: 'absent' } },
    });
    expect(sent).toHaveLength(1);
  });

  it('a certificate EF that reads as erased (FF…) holds no certificate', async () => {
    const { connection } = certificateCard(new Uint8Array(300).fill(0xff));
    expect(await new JpkiClient(connection).readCertificate('authentication')).toBeUndefined();
  });

  it("the card-info PIN lives in the card-info application's EF 0011", async () => {
    const { connection, sent } = scriptedCard((command) => (isVerify(command) ? encodeResponse(0x63c3) : ok()));
    expect(await new JpkiClient(connection).pinStatus('cardInfo')).toEqual({ state: 'available', triesLeft: 3 });
    expect(Buffer.from(sent[0]!.data!).toString('hex').toUpperCase()).toBe('D3921000310001010408');
    expect(sent[1]).toMatchObject({ ins: 0x20, p2: 0x91 });
  });
});

describe('DER headers at the edges of what the client takes', () => {
  it.each([
    ['30', 'READ: the DER header is cut short'],
    ['3080', 'READ: unsupported DER length form 80'],
    ['30830001', 'READ: the DER header is cut short'],
  ])('%s is refused: %s', (hex, message) => {
    expect(() => derLength(fromHex(hex), 'READ')).toThrow(message);
  });

  it('three length octets are taken, and 7FFF bytes is the largest certificate', () => {
    expect(derLength(fromHex('3083000100'), 'READ')).toBe(5 + 256);
    expect(derLength(fromHex('30827FFB'), 'READ')).toBe(0x7fff);
    expect(() => derLength(fromHex('30827FFC'), 'READ')).toThrow('a 32768-byte certificate cannot be on this card');
  });
});

describe("the client's own copy of a PIN", () => {
  /** A client that keeps every command data buffer it builds, to look at them once the call has returned. */
  class KeepingClient extends JpkiClient {
    readonly built: Uint8Array[] = [];
    protected override async exchange(apdu: CommandApdu, operation: string, form?: ApduForm) {
      if (apdu.data) this.built.push(apdu.data);
      return super.exchange(apdu, operation, form);
    }
  }

  it.each([
    ['answered', 0x63c2],
    ['refused', 0x6f00],
  ])('is zeroed once the VERIFY is %s', async (_name, sw) => {
    const { connection } = scriptedCard((command) => (isVerify(command) ? encodeResponse(sw) : ok()));
    const client = new KeepingClient(connection);
    await client.verify('authentication', '1234').catch(() => undefined);
    const pinData = client.built.filter((data) => data.length === 4);
    expect(pinData).toHaveLength(1);
    expect(Array.from(pinData[0]!)).toEqual([0, 0, 0, 0]);
  });
});
