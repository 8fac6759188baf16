import { describe, expect, it } from 'vitest';
import { encodeResponse } from '../../main/card/apdu';
import { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import { JpkiClient } from '../../main/card/jpki-client';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { SW } from '../../main/card/status-words';

/**
 * docs/card-protocol.md, "Handling PIN bytes": the command that carried a
 * PIN is zeroed once its transmit settled, whatever the answer, checked on
 * the exact objects a connection (or the PC/SC binding) is handed.
 */

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
/** As hex, so a failure shows what is left: all zeros once wiped. */
const zeros = (bytes: Uint8Array) => '00'.repeat(bytes.length);

/** A card that answers `answer(command)` and keeps every command object it was handed. */
function recordingCard(answer: (command: Uint8Array) => Uint8Array) {
  // What the connection was handed: the object itself, and its bytes as they were at the transmit.
  const handed: { bytes: Uint8Array; sent: string }[] = [];
  const connection: CardConnection = {
    reader: 'recording reader',
    atr: new Uint8Array(0),
    transmit: async (command) => {
      handed.push({ bytes: command, sent: hex(command) });
      return answer(command);
    },
    disconnect: async () => undefined,
  };
  /** The one command with this INS that carried data (a PIN). */
  const withData = (ins: number) => {
    const found = handed.filter(({ sent }) => sent.slice(2, 4) === ins.toString(16).padStart(2, '0') && sent.length > 10);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  return { connection, withData };
}

const PIN_ASCII = Buffer.from('1234').toString('hex');
/** Answers `sw` to the command with this INS that carries data, 9000 to everything else. */
const answering = (ins: number, sw: number) => (command: Uint8Array) =>
  encodeResponse(command[1] === ins && command.length > 5 ? sw : SW.OK);

describe('the card layer wipes the command that carried a PIN', () => {
  it.each([
    ['verified', 0x9000, { result: 'verified' }],
    ['wrong', 0x63c2, { result: 'wrong', triesLeft: 2 }],
    ['blocked by this entry', 0x63c0, { result: 'blocked' }],
    ['already blocked', 0x6984, { result: 'blocked' }],
  ] as const)('VERIFY: zeroed once the card answered (%s)', async (_, sw, result) => {
    const card = recordingCard(answering(0x20, sw));
    expect(await new JpkiClient(card.connection).verify('authentication', '1234')).toEqual(result);
    const verify = card.withData(0x20);
    expect(verify.sent).toBe(`0020009804${PIN_ASCII}`);
    expect(hex(verify.bytes)).toBe(zeros(verify.bytes));
  });

  it('VERIFY: zeroed when the transmit fails (the card was pulled)', async () => {
    const card = recordingCard((command) => {
      if (command[1] === 0x20) throw new ReaderError('card-removed', 'the card left');
      return encodeResponse(SW.OK);
    });
    await expect(new JpkiClient(card.connection).verify('authentication', '1234')).rejects.toMatchObject({ code: 'card-removed' });
    const verify = card.withData(0x20);
    expect(verify.sent).toContain(PIN_ASCII);
    expect(hex(verify.bytes)).toBe(zeros(verify.bytes));
  });

  describe.each([
    ['CHANGE', 0x24, (connection: CardConnection) => new JpkiClient(connection).changePin('authentication', '1234')],
    ['RESET on the issuer channel', 0x2c, (connection: CardConnection) => new IssuerChannelClient(connection).resetPin('registry', '1234')],
  ] as const)('%s', (_, ins, setPin) => {
    it.each([
      ['done', SW.OK],
      ['refused', SW.SECURITY_STATUS_NOT_SATISFIED],
    ])('the new PIN zeroed once the card answered (%s)', async (__, sw) => {
      const card = recordingCard(answering(ins, sw));
      const setting = setPin(card.connection);
      await (sw === SW.OK ? expect(setting).resolves.toBeUndefined() : expect(setting).rejects.toMatchObject({ sw }));
      const command = card.withData(ins);
      expect(command.sent).toContain(PIN_ASCII);
      expect(hex(command.bytes)).toBe(zeros(command.bytes));
    });
  });
});
