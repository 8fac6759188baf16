import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { possessionMessage, type PossessionBinding } from '../../main/issuance/possession';

// The message the card signs to prove it holds the resident's current keys, laid out byte by byte as
// docs/card-protocol.md ("Proof of possession") gives it — both sides build it from this one definition,
// so its layout is pinned here from the documentation, not from the code.

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const NONCE = Uint8Array.from({ length: 32 }, (_, i) => i);
const AUTHENTICATION_SPKI = Uint8Array.of(0x30, 0x01, 0xaa);
const SIGNATURE_SPKI = Uint8Array.of(0x30, 0x01, 0xbb);

function binding(overrides: Partial<PossessionBinding> = {}): PossessionBinding {
  return {
    renewalId: 'r-1',
    terminalId: 'lobby-01',
    nonce: NONCE,
    slot: 'authentication',
    publicKeys: { authentication: AUTHENTICATION_SPKI, signature: SIGNATURE_SPKI },
    ...overrides,
  };
}

describe('the proof-of-possession message', () => {
  it('is the context, the slot, the two ids with their lengths, the nonce and the hashes of the new keys, in that order', () => {
    const expected = [
      Buffer.from('MYNA-KIOSK-POSSESSION-V1', 'ascii').toString('hex'),
      '01',
      '0003' + Buffer.from('r-1').toString('hex'),
      '0008' + Buffer.from('lobby-01').toString('hex'),
      Buffer.from(NONCE).toString('hex'),
      sha256(AUTHENTICATION_SPKI),
      sha256(SIGNATURE_SPKI),
    ].join('');
    expect(possessionMessage(binding()).toString('hex')).toBe(expected);
  });

  it('names the signature slot 02', () => {
    const message = possessionMessage(binding({ slot: 'signature' }));
    expect(message[24]).toBe(0x02);
    expect(possessionMessage(binding())[24]).toBe(0x01);
  });

  it('puts 32 zero bytes where no new signature key is requested', () => {
    const message = possessionMessage(binding({ publicKeys: { authentication: AUTHENTICATION_SPKI } }));
    expect(message.subarray(-64, -32).toString('hex')).toBe(sha256(AUTHENTICATION_SPKI));
    expect(message.subarray(-32).toString('hex')).toBe('00'.repeat(32));
  });

  it('writes the ids as UTF-8 with a two-byte big-endian length, so a long or non-ASCII id cannot run into the next field', () => {
    const renewalId = 'x'.repeat(300);
    const message = possessionMessage(binding({ renewalId, terminalId: '本庁-1' }));
    expect(message.subarray(25, 27).toString('hex')).toBe('012c');
    const terminalAt = 27 + 300;
    expect(message.subarray(terminalAt, terminalAt + 2).toString('hex')).toBe('0008');
    expect(message.subarray(terminalAt + 2, terminalAt + 10).toString('utf8')).toBe('本庁-1');
  });

  it.each([31, 33, 0])('refuses a nonce of %s bytes', (length) => {
    expect(() => possessionMessage(binding({ nonce: new Uint8Array(length) }))).toThrow(`a possession nonce is 32 bytes, not ${length}`);
  });
});
