import { createHash } from 'node:crypto';
import type { CommandApdu } from './apdu';
import { ISSUER_PURPOSE_CODES, type IssuerPurpose } from '../domain/issuer-purpose';
import { JpkiClient, PIN_LOCATION, expectOk, type PinValue } from './jpki-client';
import { JPKI_FILE, shortFileId } from './jpki-layout';
import type { PinId } from '../domain/pin-rules';
import { CardResponseError, SW } from './status-words';

/**
 * The JPKI client plus the simulated issuer channel (docs/card-protocol.md,
 * "The simulated issuer channel: our own design"). A real card accepts these
 * commands only from the municipality's issuing system, whose protocol is not
 * public; the virtual card implements our design of it. Any answer other than
 * 9000 to ISSUER AUTHENTICATE means "no issuer channel here".
 */

export type KeySlot = 'authentication' | 'signature';

const KEY_FILE: Record<KeySlot, number> = { authentication: JPKI_FILE.authenticationKey, signature: JPKI_FILE.signatureKey };
const CERTIFICATE_FILE: Record<KeySlot, number> = {
  authentication: JPKI_FILE.authenticationCertificate,
  signature: JPKI_FILE.signatureCertificate,
};
const WRITE_CHUNK = 255;
const CHIP_SERIAL_LENGTH = 8;
const RSA_2048_MODULUS = 256;

export class IssuerChannelClient extends JpkiClient {
  /** A single-use 16-byte challenge for the issuer proof. */
  async getChallenge(): Promise<Uint8Array> {
    await this.requireApplication('jpki');
    const operation = 'GET CHALLENGE';
    const response = await this.exchange({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 16 }, operation);
    expectOk(response, operation);
    if (response.data.length !== 16)
      throw new CardResponseError(operation, `a challenge is 16 bytes, the card gave ${response.data.length}`);
    return response.data;
  }

  /** The chip's 8-byte serial: the card an issuer proof is bound to. */
  async chipSerial(): Promise<Uint8Array> {
    await this.requireApplication('jpki');
    const operation = 'GET CHIP SERIAL';
    const response = await this.exchange({ cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x01, le: CHIP_SERIAL_LENGTH }, operation);
    expectOk(response, operation);
    if (response.data.length !== CHIP_SERIAL_LENGTH) {
      throw new CardResponseError(operation, `a chip serial is ${CHIP_SERIAL_LENGTH} bytes, the card gave ${response.data.length}`);
    }
    return response.data;
  }

  /**
   * Presents the issuing authority's signature over the challenge, for one
   * purpose and one reference (renewal id or reset reference, sent as its
   * SHA-256); holds until power-down and allows only that purpose.
   */
  async issuerAuthenticate(proof: Uint8Array, binding: { purpose: IssuerPurpose; reference: string }): Promise<void> {
    const operation = 'ISSUER AUTHENTICATE';
    const referenceHash = createHash('sha256').update(binding.reference).digest(); // a string hashes as UTF-8
    const data = Buffer.concat([proof, referenceHash]);
    const p2 = ISSUER_PURPOSE_CODES[binding.purpose];
    expectOk(await this.exchange({ cla: 0x80, ins: 0x82, p1: 0x00, p2, data }, operation), operation);
  }

  /** Generates a staged key pair on the card; returns its public modulus (e = 65537). */
  async generateKeyPair(slot: KeySlot): Promise<Uint8Array> {
    await this.requireApplication('jpki');
    return this.modulus({ cla: 0x80, ins: 0x46, p1: 0x00, p2: KEY_FILE[slot], le: RSA_2048_MODULUS }, `GENERATE KEY PAIR (${slot})`);
  }

  /** The public modulus of the current or the staged key; undefined when there is no such key (6A82). */
  async readPublicKey(slot: KeySlot, which: 'current' | 'staged'): Promise<Uint8Array | undefined> {
    await this.requireApplication('jpki');
    const operation = `READ PUBLIC KEY (${which} ${slot})`;
    const response = await this.exchange(
      { cla: 0x80, ins: 0x48, p1: which === 'current' ? 0x00 : 0x01, p2: KEY_FILE[slot], le: RSA_2048_MODULUS },
      operation,
    );
    if (response.sw === SW.FILE_NOT_FOUND) return undefined;
    expectOk(response, operation);
    return checkedModulus(response.data, operation);
  }

  /** Writes a certificate into the staged slot, in chunks; it becomes current only at commit. */
  async writeStagedCertificate(slot: KeySlot, der: Uint8Array): Promise<void> {
    await this.requireApplication('jpki');
    await this.selectFile(CERTIFICATE_FILE[slot], `SELECT ${slot} certificate file`);
    const operation = `WRITE STAGED ${slot} certificate`;
    for (let offset = 0; offset < der.length; offset += WRITE_CHUNK) {
      const data = der.subarray(offset, Math.min(der.length, offset + WRITE_CHUNK));
      expectOk(await this.exchange({ cla: 0x80, ins: 0xd6, p1: offset >> 8, p2: offset & 0xff, data }, operation), operation);
    }
  }

  /** Makes the staged keys and certificates current in one step (6985 when they do not match, and nothing changes). */
  async commit(): Promise<void> {
    await this.requireApplication('jpki');
    const operation = 'COMMIT';
    expectOk(await this.exchange({ cla: 0x80, ins: 0xe8, p1: 0x00, p2: 0x00 }, operation), operation);
  }

  async discardStaged(): Promise<void> {
    await this.requireApplication('jpki');
    const operation = 'DISCARD STAGED';
    expectOk(await this.exchange({ cla: 0x80, ins: 0xe8, p1: 0x01, p2: 0x00 }, operation), operation);
  }

  /**
   * Sets a new PIN value with its counter at the maximum: only after the
   * staff identity check. `typedNewValue` is handled as `verify` handles its value.
   */
  async resetPin(pin: PinId, typedNewValue: PinValue): Promise<void> {
    const { application, fid } = PIN_LOCATION[pin];
    const operation = `RESET ${pin} PIN`;
    const response = await this.withPin(pin, typedNewValue, async (data) => {
      await this.requireApplication(application);
      return this.exchange({ cla: 0x80, ins: 0x2c, p1: 0x00, p2: 0x80 | shortFileId(fid), data }, operation);
    });
    expectOk(response, operation);
  }

  private async modulus(apdu: CommandApdu, operation: string): Promise<Uint8Array> {
    const response = await this.exchange(apdu, operation);
    expectOk(response, operation);
    return checkedModulus(response.data, operation);
  }
}

function checkedModulus(modulus: Uint8Array, operation: string): Uint8Array {
  if (modulus.length !== RSA_2048_MODULUS || (modulus[0]! & 0x80) === 0) {
    throw new CardResponseError(operation, `an RSA-2048 modulus is 256 bytes with the top bit set (got ${modulus.length} bytes)`);
  }
  return modulus;
}
