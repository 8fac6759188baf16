/**
 * The simulated issuer channel of the virtual card: OUR OWN DESIGN
 * (docs/card-protocol.md, "The simulated issuer channel"); no real card
 * implements these commands.
 *
 * - GET CHALLENGE / ISSUER AUTHENTICATE give a card-wide issuer proof that
 *   lasts until power-down, for one purpose (P2: 01 renewal, 02 PIN reset),
 *   bound to this card's chip serial and the reference (renewal id) whose
 *   SHA-256 the terminal sends with it. Every other command here answers 6982
 *   without a proof for its purpose.
 * - GET CHIP SERIAL answers the 8-byte chip serial (no proof needed).
 * - GENERATE KEY PAIR stages a new key; WRITE STAGED CERTIFICATE stages a
 *   certificate; COMMIT makes the staged set current in one step, or answers
 *   6985 and changes nothing; DISCARD drops it. Power-down drops it too.
 * - With the `nonAtomicCommit` fault, GENERATE KEY PAIR makes the new key
 *   current at once and empties the slot's certificate EF ("new keys but no
 *   certificate"). Certificates are still staged and committed (the
 *   current-key case of COMMIT), which is how recovery writes them.
 * - RESET PIN sets a PIN's value and its counter to the maximum.
 *
 * Choices the doc leaves open: a write at offset 0 starts a new staged
 * certificate for that EF (so a rewrite never keeps a longer earlier tail);
 * WRITE with no certificate EF current answers 6985; RESET PIN clears that
 * PIN's verified state (the new value has not been presented); COMMIT leaves
 * the availability file 0008 as it is.
 */
import type { CommandApdu } from '../../card/apdu';
import { SW } from '../../card/status-words';
import type { CardImage } from './card-image';
import {
  answer,
  base64Bytes,
  bytesBase64,
  FID,
  satisfiesPinRule,
  SLOT_FIDS,
  type Answer,
  type AppId,
  type KeySlotName,
  type PinEf,
} from './card-files';
import { RSA_MODULUS_BYTES, type KeyStore } from './card-keys';
import { issuerPurposeOfCode, type IssuerPurpose } from '../../domain/issuer-purpose';
import {
  CHIP_SERIAL_LENGTH,
  ISSUER_CHALLENGE_LENGTH,
  ISSUER_PROOF_LENGTH,
  REFERENCE_HASH_LENGTH,
  verifyIssuerProof,
} from '../issuer-proof';

export const MAX_STAGED_CERTIFICATE_BYTES = 4096;

type Staged = NonNullable<NonNullable<CardImage['jpki']>['staged']>;
const STAGED_KEY: Readonly<Record<KeySlotName, 'authKey' | 'signKey'>> = { authentication: 'authKey', signature: 'signKey' };
const STAGED_CERTIFICATE: Readonly<Record<KeySlotName, 'authCertificate' | 'signCertificate'>> = {
  authentication: 'authCertificate',
  signature: 'signCertificate',
};
const SLOTS: readonly KeySlotName[] = ['authentication', 'signature'];

/** What the channel needs from the card it runs on. */
export interface IssuerHost {
  readonly image: CardImage;
  readonly keys: KeyStore;
  readonly nonAtomicCommit: boolean;
  readonly random: (n: number) => Uint8Array;
  currentApp(): AppId | undefined;
  currentEf(): number | undefined;
  /** VERIFY-style P2 (80 = current EF, 80+SFI) to a PIN EF of the current application, or the SW to answer. */
  pinTarget(p2: number): { app: AppId; ef: PinEf } | number;
  forgetVerification(app: AppId, fid: number): void;
}

export class IssuerChannel {
  private challenge: Uint8Array | undefined;
  /** What the issuer proof in force allows, until power-down. */
  private proven: IssuerPurpose | undefined;

  constructor(private readonly host: IssuerHost) {}

  /** Power loss: the proof and any outstanding challenge are gone. (The card drops the staged set itself.) */
  powerDown(): void {
    this.challenge = undefined;
    this.proven = undefined;
  }

  /** `80 CA 00 01 08`: the chip serial; 6A82 on a card made without one. */
  chipSerial(apdu: CommandApdu): Answer {
    if (this.host.currentApp() !== 'jpki') return answer(SW.CONDITIONS_NOT_SATISFIED);
    if (apdu.p1 !== 0 || apdu.p2 !== 1) return answer(SW.WRONG_P1P2);
    if (apdu.data !== undefined || (apdu.le !== undefined && apdu.le < CHIP_SERIAL_LENGTH)) return answer(SW.WRONG_LENGTH);
    const serial = this.host.image.chipSerial;
    if (serial === undefined) return answer(SW.FILE_NOT_FOUND);
    return answer(SW.OK, Buffer.from(serial, 'hex'));
  }

  /** `00 84 00 00 10`: 16 random bytes, single-use; a new one replaces an outstanding one. */
  getChallenge(apdu: CommandApdu): Answer {
    if (this.host.currentApp() !== 'jpki') return answer(SW.CONDITIONS_NOT_SATISFIED);
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return answer(SW.WRONG_P1P2);
    if (apdu.data !== undefined || apdu.le !== ISSUER_CHALLENGE_LENGTH) return answer(SW.WRONG_LENGTH);
    this.challenge = Uint8Array.from(this.host.random(ISSUER_CHALLENGE_LENGTH));
    return answer(SW.OK, Uint8Array.from(this.challenge));
  }

  /**
   * `80 82 00 <purpose> 60 <r‖s> <SHA-256(reference)>`: ECDSA P-256 over
   * SHA-256("JPKI-SIM-ISSUER-V2" ‖ challenge ‖ purpose ‖ chip serial ‖ SHA-256(reference)).
   * The card supplies its own challenge and chip serial, so a proof made for
   * another card or another challenge fails; the purpose it proves is the
   * only one it allows.
   */
  authenticate(apdu: CommandApdu): Answer {
    if (this.host.currentApp() !== 'jpki') return answer(SW.CONDITIONS_NOT_SATISFIED);
    const purpose = issuerPurposeOfCode(apdu.p2);
    if (apdu.p1 !== 0 || purpose === undefined) return answer(SW.WRONG_P1P2);
    if (apdu.data?.length !== ISSUER_PROOF_LENGTH + REFERENCE_HASH_LENGTH) return answer(SW.WRONG_LENGTH);
    const challenge = this.challenge;
    if (!challenge) return answer(SW.CONDITIONS_NOT_SATISFIED);
    this.challenge = undefined; // consumed, whatever the outcome
    this.proven = undefined; // a new attempt replaces the proof in force
    const anchor = this.host.image.issuerTrustAnchor;
    const chipSerial = this.host.image.chipSerial;
    if (anchor === undefined || chipSerial === undefined) return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    const binding = {
      challenge,
      purpose,
      chipSerial: Buffer.from(chipSerial, 'hex'),
      referenceHash: apdu.data.subarray(ISSUER_PROOF_LENGTH),
    };
    if (!verifyIssuerProof(Buffer.from(anchor, 'base64'), binding, apdu.data.subarray(0, ISSUER_PROOF_LENGTH))) {
      return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    this.proven = purpose;
    return answer(SW.OK);
  }

  /** `80 46 00 <17|1A> 00`: a new RSA-2048 key for the slot; answers its modulus. */
  generateKeyPair(apdu: CommandApdu): Answer {
    const jpki = this.jpkiWithProof();
    if (typeof jpki === 'number') return answer(jpki);
    const slot = slotOfKeyFid(apdu.p2);
    if (apdu.p1 !== 0 || slot === undefined) return answer(SW.WRONG_P1P2);
    if (!expectsModulus(apdu)) return answer(SW.WRONG_LENGTH);
    const pem = this.host.keys.generate();
    if (this.host.nonAtomicCommit) {
      jpki.authentication = slot === 'authentication' ? { privateKey: pem } : jpki.authentication;
      jpki.signature = slot === 'signature' ? { privateKey: pem } : jpki.signature;
      this.updateStaged((staged) => delete staged[STAGED_KEY[slot]]);
    } else {
      this.updateStaged((staged) => (staged[STAGED_KEY[slot]] = pem));
    }
    return answer(SW.OK, this.host.keys.modulus(pem));
  }

  /** `80 48 <00 current | 01 staged> <17|1A> 00`: the key's modulus, 6A82 when there is none. */
  readPublicKey(apdu: CommandApdu): Answer {
    const jpki = this.jpkiWithProof();
    if (typeof jpki === 'number') return answer(jpki);
    const slot = slotOfKeyFid(apdu.p2);
    if ((apdu.p1 !== 0 && apdu.p1 !== 1) || slot === undefined) return answer(SW.WRONG_P1P2);
    if (!expectsModulus(apdu)) return answer(SW.WRONG_LENGTH);
    const pem = apdu.p1 === 0 ? jpki[slot].privateKey : jpki.staged?.[STAGED_KEY[slot]];
    if (pem === undefined) return answer(SW.FILE_NOT_FOUND);
    return answer(SW.OK, this.host.keys.modulus(pem));
  }

  /** `80 D6 <offset hi> <offset lo> <Lc> <data>` into the staged certificate of the current EF (000A or 0001). */
  writeStagedCertificate(apdu: CommandApdu): Answer {
    const jpki = this.jpkiWithProof();
    if (typeof jpki === 'number') return answer(jpki);
    if (apdu.p1 & 0x80) return answer(SW.WRONG_P1P2);
    const data = apdu.data;
    const offset = (apdu.p1 << 8) | apdu.p2;
    if (data === undefined || offset + data.length > MAX_STAGED_CERTIFICATE_BYTES) return answer(SW.WRONG_LENGTH);
    const slot = SLOTS.find((name) => SLOT_FIDS[name].certificate === this.host.currentEf());
    if (slot === undefined) return answer(SW.CONDITIONS_NOT_SATISFIED);
    const field = STAGED_CERTIFICATE[slot];
    const before = offset === 0 ? new Uint8Array(0) : base64Bytes(jpki.staged?.[field]);
    const after = new Uint8Array(Math.max(before.length, offset + data.length));
    after.set(before);
    after.set(data, offset);
    this.updateStaged((staged) => (staged[field] = bytesBase64(after)));
    return answer(SW.OK);
  }

  /** `80 E8 00 00` COMMIT, `80 E8 01 00` DISCARD STAGED. */
  commitOrDiscard(apdu: CommandApdu): Answer {
    const jpki = this.jpkiWithProof();
    if (typeof jpki === 'number') return answer(jpki);
    if ((apdu.p1 !== 0 && apdu.p1 !== 1) || apdu.p2 !== 0) return answer(SW.WRONG_P1P2);
    if (apdu.data !== undefined) return answer(SW.WRONG_LENGTH);
    if (apdu.p1 === 1) {
      delete jpki.staged;
      return answer(SW.OK);
    }
    const staged = jpki.staged ?? {};
    if (!SLOTS.every((slot) => this.consistent(slot, staged, jpki[slot].privateKey))) return answer(SW.CONDITIONS_NOT_SATISFIED);
    // One synchronous step: nothing can observe a mix of old and new.
    for (const slot of SLOTS) {
      const key = staged[STAGED_KEY[slot]] ?? jpki[slot].privateKey;
      const certificate = staged[STAGED_CERTIFICATE[slot]] ?? jpki[slot].certificate;
      jpki[slot] = { ...(key !== undefined && { privateKey: key }), ...(certificate !== undefined && { certificate }) };
    }
    delete jpki.staged;
    return answer(SW.OK);
  }

  /** `80 2C 00 <80 | 80+SFI> <Lc> <new PIN>` in the PIN's own application: new value, counter to maximum. */
  resetPin(apdu: CommandApdu): Answer {
    if (this.proven !== 'pin-reset') return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (apdu.p1 !== 0) return answer(SW.WRONG_P1P2);
    const target = this.host.pinTarget(apdu.p2);
    if (typeof target === 'number') return answer(target);
    if (apdu.data === undefined) return answer(SW.WRONG_LENGTH);
    if (!satisfiesPinRule(target.ef.rule, apdu.data)) return answer(SW.WRONG_DATA);
    target.ef.state.value = Buffer.from(apdu.data).toString('latin1');
    target.ef.state.triesLeft = target.ef.state.maxTries;
    this.host.forgetVerification(target.app, target.ef.fid);
    return answer(SW.OK);
  }

  /**
   * Every staged key has a staged certificate for it, and every staged
   * certificate carries the key of its slot: the staged one, or the current
   * one when none is staged.
   */
  private consistent(slot: KeySlotName, staged: Staged, currentKey: string | undefined): boolean {
    const stagedKey = staged[STAGED_KEY[slot]];
    const stagedCertificate = staged[STAGED_CERTIFICATE[slot]];
    if (stagedCertificate === undefined) return stagedKey === undefined;
    const key = stagedKey ?? currentKey;
    return key !== undefined && this.host.keys.certificateMatches(base64Bytes(stagedCertificate), key);
  }

  /** The JPKI files, when a renewal's issuer proof is in force and the JPKI AP is selected; else the SW to answer. */
  private jpkiWithProof(): NonNullable<CardImage['jpki']> | number {
    if (this.proven !== 'renewal') return SW.SECURITY_STATUS_NOT_SATISFIED;
    const jpki = this.host.image.jpki;
    if (this.host.currentApp() !== 'jpki' || !jpki) return SW.CONDITIONS_NOT_SATISFIED;
    return jpki;
  }

  private updateStaged(change: (staged: Staged) => unknown): void {
    const jpki = this.host.image.jpki;
    if (!jpki) return;
    const staged: Staged = { ...jpki.staged };
    change(staged);
    if (Object.keys(staged).length === 0) delete jpki.staged;
    else jpki.staged = staged;
  }
}

/** No command data, and an Le (if any) that takes the whole 256-byte modulus. */
function expectsModulus(apdu: CommandApdu): boolean {
  return apdu.data === undefined && (apdu.le === undefined || apdu.le >= RSA_MODULUS_BYTES);
}

function slotOfKeyFid(p2: number): KeySlotName | undefined {
  if (p2 === FID.AUTH_KEY) return 'authentication';
  if (p2 === FID.SIGN_KEY) return 'signature';
  return undefined;
}
