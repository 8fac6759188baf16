/**
 * The virtual My Number Card: answers APDUs as docs/card-protocol.md
 * specifies, from a CardImage, and snapshots its persistent state back to
 * one. The file model is in card-files.ts, the RSA work in card-keys.ts and
 * the simulated issuer channel (our own design) in issuer-channel.ts.
 *
 * Decisions the protocol page leaves open, made here:
 *
 * - Security state is kept per application: a PIN verified in the JPKI AP
 *   stays verified while the 住基AP is selected and after the JPKI AP is
 *   selected again, until power-down. (The kiosk verifies the JPKI PINs and
 *   the registry PIN in one session.) A wrong entry on a verified PIN clears
 *   that PIN's verified state. The issuer proof is card-wide.
 * - A failed SELECT (6A82, 6A86, 6700) leaves the current application and EF
 *   as they were (ISO 7816-4). A successful SELECT of an application leaves
 *   no EF current.
 * - SELECT by DF name answers 9000 without data in both P2 forms (0C, and 00
 *   with Le): no FCI is modelled. SELECT with a P1 other than 02 (EF) and 04
 *   (DF name) answers 6A86 on every kind of card, including a card that is
 *   not a My Number Card; SELECT EF with no application current answers 6A82.
 * - A command on "the current EF" with none current (READ BINARY, VERIFY P2
 *   80, SIGN) answers 6985; on an EF of the wrong type, READ / VERIFY answer
 *   6981, SIGN answers 6985.
 * - Face-authentication card (kind `face-auth`): the image has no
 *   authentication PIN and no signature password, so those EFs do not exist
 *   (6A82). Its authentication key signs with no PIN: the real card checks
 *   the holder's face, which the kiosk cannot see; this is our assumption.
 * - CHANGE REFERENCE DATA works on the JPKI PINs and the card-info PIN. On a
 *   registry PIN it answers 6985 (how a real card changes it is not public;
 *   the issuer channel's RESET PIN can).
 * - Responses carry all their data whatever a larger Le asks; READ BINARY
 *   returns at most Le bytes. A fixed-size answer (challenge, modulus,
 *   signature) asked with a smaller Le answers 6700.
 * - An unexpected internal error answers 6F00 rather than throwing.
 */
import { randomBytes } from 'node:crypto';
import { decodeCommand, encodeResponse, fromHex, type CommandApdu } from '../../card/apdu';
import { SW } from '../../card/status-words';
import type { VirtualCard } from '../../card/virtual-reader';
import { cardImageSchema, type CardImage } from './card-image';
import {
  answer,
  applicationByAid,
  findEf,
  findEfBySfi,
  pinMatches,
  satisfiesPinRule,
  SLOT_FIDS,
  type Answer,
  type AppId,
  type PinEf,
} from './card-files';
import { KeyStore, MAX_DIGEST_INFO_BYTES, RSA_MODULUS_BYTES } from './card-keys';
import { IssuerChannel, type IssuerHost } from './issuer-channel';

export interface VirtualMyNumberCardOptions {
  faults?: {
    /** GENERATE KEY PAIR makes the new key current at once and empties the certificate EF. */
    nonAtomicCommit?: boolean;
  };
  /** Source of challenge bytes (tests make it deterministic). */
  random?: (n: number) => Uint8Array;
}

/** No precise diagnosis: answered only if the emulator itself fails. */
const SW_INTERNAL_ERROR = 0x6f00;

type Handler = (apdu: CommandApdu) => Answer;

export class VirtualMyNumberCard implements VirtualCard {
  readonly atr: Uint8Array;
  private readonly image: CardImage;
  private readonly keys = new KeyStore();
  private readonly issuer: IssuerChannel;
  private readonly nonAtomicCommit: boolean;

  // Volatile security state: gone at power-down, never in a snapshot.
  private app: AppId | undefined;
  private ef: number | undefined;
  private readonly verified = new Map<AppId, Set<number>>();

  private readonly standard: ReadonlyMap<number, Handler>;
  private readonly proprietary: ReadonlyMap<number, Handler>;

  /** Throws (a ZodError) when the image is not a valid CardImage; copies it, so later changes to `image` do not reach the card. */
  constructor(image: CardImage, options: VirtualMyNumberCardOptions = {}) {
    this.image = cardImageSchema.parse(structuredClone(image));
    this.atr = fromHex(this.image.atr);
    this.nonAtomicCommit = options.faults?.nonAtomicCommit ?? false;
    const random = options.random ?? ((n: number) => Uint8Array.from(randomBytes(n)));
    const host: IssuerHost = {
      image: this.image,
      keys: this.keys,
      nonAtomicCommit: this.nonAtomicCommit,
      random,
      currentApp: () => this.app,
      currentEf: () => this.ef,
      pinTarget: (p2) => this.pinTarget(p2),
      forgetVerification: (app, fid) => this.verified.get(app)?.delete(fid),
    };
    this.issuer = new IssuerChannel(host);
    this.standard = new Map<number, Handler>([
      [0xa4, (apdu) => this.select(apdu)],
      [0xb0, (apdu) => this.readBinary(apdu)],
      [0x20, (apdu) => this.verify(apdu)],
      [0x24, (apdu) => this.changeReferenceData(apdu)],
      [0x84, (apdu) => this.issuer.getChallenge(apdu)],
    ]);
    this.proprietary = new Map<number, Handler>([
      [0x2a, (apdu) => this.sign(apdu)],
      [0x82, (apdu) => this.issuer.authenticate(apdu)],
      [0xca, (apdu) => this.issuer.chipSerial(apdu)],
      [0x46, (apdu) => this.issuer.generateKeyPair(apdu)],
      [0x48, (apdu) => this.issuer.readPublicKey(apdu)],
      [0xd6, (apdu) => this.issuer.writeStagedCertificate(apdu)],
      [0xe8, (apdu) => this.issuer.commitOrDiscard(apdu)],
      [0x2c, (apdu) => this.issuer.resetPin(apdu)],
    ]);
  }

  transmit(command: Uint8Array): Uint8Array {
    try {
      const { sw, data } = this.process(command);
      return encodeResponse(sw, data);
    } catch {
      return encodeResponse(SW_INTERNAL_ERROR);
    }
  }

  /** Power loss: verified PINs, the issuer proof and challenge, the selection and anything staged are gone. */
  powerDown(): void {
    this.app = undefined;
    this.ef = undefined;
    this.verified.clear();
    this.issuer.powerDown();
    if (this.image.jpki) delete this.image.jpki.staged;
  }

  /** A deep copy of the persistent state (counters, PIN values, keys, certificates, staged set); no security state. */
  snapshot(): CardImage {
    return structuredClone(this.image);
  }

  private process(command: Uint8Array): Answer {
    if (command.length < 4) return answer(SW.WRONG_LENGTH);
    const cla = command[0]!;
    const ins = command[1]!;
    if (cla !== 0x00 && cla !== 0x80) return answer(SW.CLA_NOT_SUPPORTED);
    const handler = (cla === 0x00 ? this.standard : this.proprietary).get(ins);
    if (!handler) {
      // An instruction the card knows only under the other class is a class error.
      return answer((cla === 0x00 ? this.proprietary : this.standard).has(ins) ? SW.CLA_NOT_SUPPORTED : SW.INS_NOT_SUPPORTED);
    }
    let apdu: CommandApdu;
    try {
      apdu = decodeCommand(command);
    } catch {
      return answer(SW.WRONG_LENGTH);
    }
    return handler(apdu);
  }

  // ── SELECT ────────────────────────────────────────────────────────────

  private select(apdu: CommandApdu): Answer {
    if (apdu.p1 !== 0x04 && apdu.p1 !== 0x02) return answer(SW.WRONG_P1P2);
    if (apdu.p2 !== 0x00 && apdu.p2 !== 0x0c) return answer(SW.WRONG_P1P2);
    if (apdu.data === undefined) return answer(SW.WRONG_LENGTH);
    if (apdu.p1 === 0x04) {
      const app = applicationByAid(this.image, apdu.data);
      if (app === undefined) return answer(SW.FILE_NOT_FOUND);
      this.app = app;
      this.ef = undefined;
      return answer(SW.OK);
    }
    if (apdu.data.length !== 2) return answer(SW.WRONG_LENGTH);
    if (this.app === undefined) return answer(SW.FILE_NOT_FOUND);
    const ef = findEf(this.image, this.app, (apdu.data[0]! << 8) | apdu.data[1]!);
    if (!ef) return answer(SW.FILE_NOT_FOUND);
    this.ef = ef.fid;
    return answer(SW.OK);
  }

  // ── READ BINARY ───────────────────────────────────────────────────────

  private readBinary(apdu: CommandApdu): Answer {
    let offset: number;
    if (apdu.p1 & 0x80) {
      // Short EF form: 00 B0 <80+SFI> <offset, 8 bits> <Le>; selects the EF and reads it.
      const sfi = apdu.p1 & 0x1f;
      if (apdu.p1 & 0x60 || sfi === 0) return answer(SW.WRONG_P1P2);
      if (apdu.data !== undefined || apdu.le === undefined) return answer(SW.WRONG_LENGTH);
      const ef = this.app === undefined ? undefined : findEfBySfi(this.image, this.app, sfi);
      if (!ef) return answer(SW.FILE_NOT_FOUND);
      this.ef = ef.fid;
      offset = apdu.p2;
    } else {
      offset = (apdu.p1 << 8) | apdu.p2;
      if (apdu.data !== undefined || apdu.le === undefined) return answer(SW.WRONG_LENGTH);
    }
    const ef = this.currentEf();
    if (!ef) return answer(SW.CONDITIONS_NOT_SATISFIED);
    if (ef.type !== 'binary') return answer(SW.COMMAND_INCOMPATIBLE_WITH_FILE);
    if (ef.protectedBy !== undefined && !this.isVerified(this.app!, ef.protectedBy)) return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (offset >= ef.content.length) return answer(SW.OFFSET_BEYOND_END);
    return answer(SW.OK, ef.content.slice(offset, offset + apdu.le));
  }

  // ── VERIFY / CHANGE REFERENCE DATA ────────────────────────────────────

  private verify(apdu: CommandApdu): Answer {
    if (apdu.p1 !== 0x00) return answer(SW.WRONG_P1P2);
    const target = this.pinTarget(apdu.p2);
    if (typeof target === 'number') return answer(target);
    const { app, ef } = target;
    const pin = ef.state;
    if (apdu.data === undefined) {
      // The tries-left query: never 6984, even on a blocked PIN.
      if (pin.triesLeft > 0 && this.isVerified(app, ef.fid)) return answer(SW.OK);
      return answer(SW.TRIES_LEFT_BASE | pin.triesLeft);
    }
    if (pin.triesLeft === 0) return answer(SW.PIN_BLOCKED);
    if (pinMatches(pin, apdu.data)) {
      pin.triesLeft = pin.maxTries;
      this.verifiedIn(app).add(ef.fid);
      return answer(SW.OK);
    }
    pin.triesLeft -= 1;
    this.verifiedIn(app).delete(ef.fid);
    return answer(SW.TRIES_LEFT_BASE | pin.triesLeft);
  }

  /** `00 24 01 80 <Lc> <new PIN>`: P1 01 = the data is the new value only; the PIN must be verified first. */
  private changeReferenceData(apdu: CommandApdu): Answer {
    if (apdu.p1 !== 0x01) return answer(SW.WRONG_P1P2);
    const target = this.pinTarget(apdu.p2);
    if (typeof target === 'number') return answer(target);
    if (apdu.data === undefined) return answer(SW.WRONG_LENGTH);
    const { app, ef } = target;
    if (!ef.changeable) return answer(SW.CONDITIONS_NOT_SATISFIED);
    if (!this.isVerified(app, ef.fid)) return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (!satisfiesPinRule(ef.rule, apdu.data)) return answer(SW.WRONG_DATA);
    ef.state.value = Buffer.from(apdu.data).toString('latin1');
    ef.state.triesLeft = ef.state.maxTries;
    return answer(SW.OK);
  }

  /**
   * The PIN EF a VERIFY-style P2 names: 80 = the current EF, 80+SFI = that
   * EF of the current application, which then becomes current.
   */
  private pinTarget(p2: number): { app: AppId; ef: PinEf } | number {
    if (p2 === 0x80) {
      const ef = this.currentEf();
      if (!ef) return SW.CONDITIONS_NOT_SATISFIED;
      if (ef.type !== 'pin') return SW.COMMAND_INCOMPATIBLE_WITH_FILE;
      return { app: this.app!, ef };
    }
    if ((p2 & 0xe0) !== 0x80) return SW.WRONG_P1P2;
    const ef = this.app === undefined ? undefined : findEfBySfi(this.image, this.app, p2 & 0x1f);
    if (!ef) return SW.FILE_NOT_FOUND;
    if (ef.type !== 'pin') return SW.COMMAND_INCOMPATIBLE_WITH_FILE;
    this.ef = ef.fid;
    return { app: this.app!, ef };
  }

  // ── COMPUTE DIGITAL SIGNATURE ─────────────────────────────────────────

  /** `80 2A 00 80 <Lc> <DigestInfo> 00` with a key EF current: the card pads (PKCS#1 v1.5) and signs. */
  private sign(apdu: CommandApdu): Answer {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x80) return answer(SW.WRONG_P1P2);
    const digestInfo = apdu.data;
    if (digestInfo === undefined || digestInfo.length > MAX_DIGEST_INFO_BYTES) return answer(SW.WRONG_LENGTH);
    if (apdu.le !== undefined && apdu.le < RSA_MODULUS_BYTES) return answer(SW.WRONG_LENGTH);
    const ef = this.currentEf();
    if (!ef || ef.type !== 'key') return answer(SW.CONDITIONS_NOT_SATISFIED);
    const jpki = this.image.jpki!;
    const key = jpki[ef.slot].privateKey;
    if (key === undefined) return answer(SW.CONDITIONS_NOT_SATISFIED);
    const faceCheck = this.image.kind === 'face-auth' && ef.slot === 'authentication';
    if (!faceCheck && !this.isVerified('jpki', SLOT_FIDS[ef.slot].pin)) return answer(SW.SECURITY_STATUS_NOT_SATISFIED);
    return answer(SW.OK, this.keys.sign(key, digestInfo));
  }

  // ── helpers ───────────────────────────────────────────────────────────

  private currentEf() {
    return this.app === undefined || this.ef === undefined ? undefined : findEf(this.image, this.app, this.ef);
  }

  private isVerified(app: AppId, fid: number): boolean {
    return this.verified.get(app)?.has(fid) ?? false;
  }

  private verifiedIn(app: AppId): Set<number> {
    let set = this.verified.get(app);
    if (!set) {
      set = new Set();
      this.verified.set(app, set);
    }
    return set;
  }
}
