import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeResponse, toHex } from '../../main/card/apdu';
import { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import { CardResponseError } from '../../main/card/status-words';
import { ok, scriptedCard, type Sent } from './helpers/scripted-card';

// The simulated issuer channel's commands, byte by byte as docs/card-protocol.md ("The simulated issuer
// channel: our own design") gives them, and what the client makes of answers the virtual card never gives.

const isSelect = (command: Sent) => command.ins === 0xa4;
/** The header and data of a command as the documentation's table writes it: "80 CA 00 01", upper-case hex. */
const header = (command: Sent) => toHex(Uint8Array.of(command.cla, command.ins, command.p1, command.p2));
/** A 256-byte modulus with its top bit set, as an RSA-2048 key has. */
const MODULUS = Uint8Array.from({ length: 256 }, (_, i) => (i === 0 ? 0xc1 : i & 0xff));

/** A card that answers every SELECT 9000 and every other command `answer(command)`. */
function issuerCard(answer: (command: Sent) => Uint8Array = () => ok()) {
  return scriptedCard((command) => (isSelect(command) ? ok() : answer(command)));
}
const issued = (sent: Sent[]) => sent.filter((command) => !isSelect(command));

describe('the commands, as the documentation writes them', () => {
  it('GET CHIP SERIAL 80 CA 00 01, Le 8; GET CHALLENGE 00 84 00 00, Le 16', async () => {
    const { connection, sent } = issuerCard((command) => ok(new Uint8Array(command.le!)));
    const client = new IssuerChannelClient(connection);
    expect(await client.chipSerial()).toHaveLength(8);
    expect(await client.getChallenge()).toHaveLength(16);
    expect(issued(sent).map((command) => [header(command), command.le])).toEqual([
      ['80CA0001', 8],
      ['00840000', 16],
    ]);
  });

  it('ISSUER AUTHENTICATE 80 82 00 <purpose>, the proof then SHA-256 of the reference', async () => {
    const proof = new Uint8Array(64).fill(0x5a);
    const { connection, sent } = issuerCard();
    const client = new IssuerChannelClient(connection);
    await client.issuerAuthenticate(proof, { purpose: 'renewal', reference: 'renewal-1' });
    await client.issuerAuthenticate(proof, { purpose: 'pin-reset', reference: 'reset-1' });
    const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
    expect(issued(sent).map((command) => [header(command), toHex(command.data!)])).toEqual([
      ['80820001', '5A'.repeat(64) + sha256('renewal-1')],
      ['80820002', '5A'.repeat(64) + sha256('reset-1')],
    ]);
  });

  it('GENERATE KEY PAIR 80 46 00 <17 or 1A>; READ PUBLIC KEY 80 48 <00 current, 01 staged> <17 or 1A>; 256 bytes back', async () => {
    const { connection, sent } = issuerCard(() => ok(MODULUS));
    const client = new IssuerChannelClient(connection);
    expect(await client.generateKeyPair('authentication')).toEqual(MODULUS);
    expect(await client.generateKeyPair('signature')).toEqual(MODULUS);
    expect(await client.readPublicKey('authentication', 'current')).toEqual(MODULUS);
    expect(await client.readPublicKey('signature', 'staged')).toEqual(MODULUS);
    expect(issued(sent).map((command) => [header(command), command.le])).toEqual([
      ['80460017', 256],
      ['8046001A', 256],
      ['80480017', 256],
      ['8048011A', 256],
    ]);
  });

  it("WRITE STAGED CERTIFICATE: SELECT the slot's file, then 80 D6 <offset hi> <offset lo> in 255-byte chunks", async () => {
    const der = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const { connection, sent } = issuerCard();
    await new IssuerChannelClient(connection).writeStagedCertificate('signature', der);
    const selectFile = sent.find((command) => isSelect(command) && command.p1 === 0x02);
    expect(toHex(selectFile!.data!)).toBe('0001');
    const writes = issued(sent);
    expect(writes.map((command) => [header(command), command.data!.length])).toEqual([
      ['80D60000', 255],
      ['80D600FF', 255],
      ['80D601FE', 90],
    ]);
    expect(Buffer.concat(writes.map((command) => command.data!))).toEqual(Buffer.from(der));

    const authentication = issuerCard();
    await new IssuerChannelClient(authentication.connection).writeStagedCertificate('authentication', der.subarray(0, 255));
    expect(toHex(authentication.sent.find((command) => isSelect(command) && command.p1 === 0x02)!.data!)).toBe('000A');
    expect(issued(authentication.sent)).toHaveLength(1);
  });

  it('COMMIT 80 E8 00 00, DISCARD STAGED 80 E8 01 00, neither with data', async () => {
    const { connection, sent } = issuerCard();
    const client = new IssuerChannelClient(connection);
    await client.commit();
    await client.discardStaged();
    expect(issued(sent).map((command) => [header(command), command.data, command.le])).toEqual([
      ['80E80000', undefined, undefined],
      ['80E80100', undefined, undefined],
    ]);
  });

  it("RESET PIN 80 2C 00 <80 + SFI> with the new value, in the PIN's own application", async () => {
    const { connection, sent } = issuerCard();
    const client = new IssuerChannelClient(connection);
    await client.resetPin('authentication', '4321');
    await client.resetPin('registry', '8642');
    const resets = issued(sent);
    expect(resets.map((command) => [header(command), Buffer.from(command.data!).toString('latin1')])).toEqual([
      ['802C0098', '4321'],
      ['802C009C', '8642'],
    ]);
    // The registry PIN lives in the resident-registry application: selected before its reset.
    const selectApplications = sent.filter((command) => isSelect(command) && command.p1 === 0x04).map((command) => toHex(command.data!));
    expect(selectApplications.at(-1)).toBe('D3921000310001010401');
  });
});

describe("answers the virtual card never gives are the card's errors, naming the command", () => {
  it.each([
    ['GET CHIP SERIAL', (client: IssuerChannelClient) => client.chipSerial(), 7, 'a chip serial is 8 bytes, the card gave 7'],
    ['GET CHALLENGE', (client: IssuerChannelClient) => client.getChallenge(), 8, 'a challenge is 16 bytes, the card gave 8'],
  ] as const)('%s with the wrong length', async (operation, act, length, detail) => {
    const { connection } = issuerCard(() => ok(new Uint8Array(length)));
    await expect(act(new IssuerChannelClient(connection))).rejects.toThrow(new CardResponseError(operation, detail));
  });

  it.each([
    ['255 bytes, the top bit set', MODULUS.subarray(0, 255), 'got 255 bytes'],
    ['257 bytes, the top bit set', Uint8Array.of(...MODULUS, 0x01), 'got 257 bytes'],
    ['the top bit clear', Uint8Array.from(MODULUS, (byte, i) => (i === 0 ? 0x41 : byte)), 'got 256 bytes'],
  ])('a modulus of %s', async (_name, modulus, got) => {
    const { connection } = issuerCard(() => ok(modulus));
    const client = new IssuerChannelClient(connection);
    const message = `an RSA-2048 modulus is 256 bytes with the top bit set (${got})`;
    await expect(client.generateKeyPair('signature')).rejects.toThrow(`GENERATE KEY PAIR (signature): ${message}`);
    await expect(client.readPublicKey('authentication', 'staged')).rejects.toThrow(`READ PUBLIC KEY (staged authentication): ${message}`);
  });

  it('READ PUBLIC KEY answered 6A82: no such key; any other refusal is an error', async () => {
    const none = issuerCard(() => encodeResponse(0x6a82));
    expect(await new IssuerChannelClient(none.connection).readPublicKey('signature', 'current')).toBeUndefined();
    const refused = issuerCard(() => encodeResponse(0x6982));
    await expect(new IssuerChannelClient(refused.connection).readPublicKey('signature', 'current')).rejects.toMatchObject({
      name: 'CardStatusError',
      sw: 0x6982,
      operation: 'READ PUBLIC KEY (current signature)',
    });
  });

  it.each([
    ['GET CHIP SERIAL', (client: IssuerChannelClient) => client.chipSerial()],
    ['GET CHALLENGE', (client: IssuerChannelClient) => client.getChallenge()],
    [
      'ISSUER AUTHENTICATE',
      (client: IssuerChannelClient) => client.issuerAuthenticate(new Uint8Array(64), { purpose: 'renewal', reference: 'r' }),
    ],
    ['GENERATE KEY PAIR (authentication)', (client: IssuerChannelClient) => client.generateKeyPair('authentication')],
    ['WRITE STAGED signature certificate', (client: IssuerChannelClient) => client.writeStagedCertificate('signature', new Uint8Array(10))],
    ['COMMIT', (client: IssuerChannelClient) => client.commit()],
    ['DISCARD STAGED', (client: IssuerChannelClient) => client.discardStaged()],
    ['RESET signature PIN', (client: IssuerChannelClient) => client.resetPin('signature', 'ABC123')],
  ] as const)('%s refused (6982): a status error naming it', async (operation, act) => {
    const { connection } = issuerCard(() => encodeResponse(0x6982));
    await expect(act(new IssuerChannelClient(connection))).rejects.toMatchObject({ name: 'CardStatusError', sw: 0x6982, operation });
  });

  it('a certificate file that cannot be selected is named', async () => {
    const { connection } = scriptedCard((command) => (isSelect(command) && command.p1 === 0x02 ? encodeResponse(0x6a82) : ok()));
    await expect(new IssuerChannelClient(connection).writeStagedCertificate('authentication', new Uint8Array(10))).rejects.toMatchObject({
      sw: 0x6a82,
      operation: 'SELECT authentication certificate file',
    });
  });

  it('every command but ISSUER AUTHENTICATE needs the JPKI application first', async () => {
    const { connection, sent } = scriptedCard((command) => (isSelect(command) ? encodeResponse(0x6a82) : ok()));
    const client = new IssuerChannelClient(connection);
    for (const act of [
      () => client.chipSerial(),
      () => client.getChallenge(),
      () => client.generateKeyPair('authentication'),
      () => client.readPublicKey('authentication', 'current'),
      () => client.writeStagedCertificate('authentication', new Uint8Array(1)),
      () => client.commit(),
      () => client.discardStaged(),
    ]) {
      await expect(act()).rejects.toMatchObject({ sw: 0x6a82, operation: 'SELECT jpki application' });
    }
    expect(sent.every(isSelect)).toBe(true);
  });
});
