import {
  EXTENDED_MAX_LE,
  type MalformedResponseError,
  encodeCommand,
  parseResponse,
  type ApduForm,
  type CommandApdu,
  type ResponseApdu,
} from './apdu';
import { parseCertificate, type CertificateSummary } from './jpki-certificate';
import {
  AID,
  CARD_INFO_FILE,
  JPKI_FILE,
  REGISTRY_PIN_FILE,
  SIGNATURE_CERTIFICATE_PRESENT,
  TOKEN_LABEL,
  shortFileId,
  type Application,
} from './jpki-layout';
import type { CardKind } from '../../preload/vocabulary';
import { PinFormatError, normalisePin, ownedPinBytes, pinFormatProblem, type PinId, type PinStatus } from '../domain/pin-rules';
import type { CardConnection } from './reader';
import { ReaderError } from './reader-errors';
import { CardResponseError, CardStatusError, SW } from './status-words';

/**
 * The JPKI client: everything the kiosk asks of a My Number Card, as typed
 * methods over one `CardConnection`. It keeps the selected application in
 * mind so a status read costs as few APDUs as the card allows, never retries
 * a VERIFY, and refuses a malformed PIN before anything is sent.
 */

export type { CardKind, PinStatus };

/**
 * A PIN as the caller holds it: bytes it owns (the session: docs/card-protocol.md,
 * "Handling PIN bytes"), or a string where the value is test data (tools, tests),
 * which nobody can wipe.
 */
export type PinValue = Uint8Array | string;

export type VerifyResult = { result: 'verified' } | { result: 'wrong'; triesLeft: number } | { result: 'blocked' };

export type CertificateName = 'authentication' | 'authenticationCa' | 'signature' | 'signatureCa';

export interface CardStatus {
  kind: CardKind;
  tokenLabel?: string;
  signatureCertificatePresent: boolean;
  authenticationCertificate?: CertificateSummary;
  pins: Record<'authentication' | 'signature' | 'registry', PinStatus>;
}

export interface JpkiClientOptions {
  /**
   * 'auto' tries one extended-length read and falls back to short APDUs for
   * good when the reader or card refuses it; 'never' sends short APDUs only.
   */
  extendedLength?: 'auto' | 'never';
  /** Called for every APDU exchanged (benchmarks count them); never given the bytes. */
  onExchange?: (operation: string) => void;
}

/** Where each PIN lives: its application and its EF. */
export const PIN_LOCATION: Record<PinId, { application: Application; fid: number }> = {
  authentication: { application: 'jpki', fid: JPKI_FILE.authenticationPin },
  signature: { application: 'jpki', fid: JPKI_FILE.signaturePassword },
  registry: { application: 'residentRegistry', fid: REGISTRY_PIN_FILE },
  cardInfo: { application: 'cardInfo', fid: CARD_INFO_FILE.pin },
};

const CERTIFICATE_FILE: Record<CertificateName, number> = {
  authentication: JPKI_FILE.authenticationCertificate,
  authenticationCa: JPKI_FILE.authenticationCaCertificate,
  signature: JPKI_FILE.signatureCertificate,
  signatureCa: JPKI_FILE.signatureCaCertificate,
};

/** READ BINARY offsets are 15 bits; no certificate on the card comes near this. */
const MAX_CERTIFICATE_LENGTH = 0x7fff;
const SHORT_CHUNK = 256;

export class JpkiClient {
  private selected: Application | undefined;
  private extended: 'untested' | 'works' | 'refused';

  constructor(
    private readonly connection: CardConnection,
    private readonly options: JpkiClientOptions = {},
  ) {
    this.extended = options.extendedLength === 'never' ? 'refused' : 'untested';
  }

  /** Whether extended-length APDUs are in use on this connection (after the first certificate read). */
  get extendedLength(): 'untested' | 'works' | 'refused' {
    return this.extended;
  }

  /** SELECT an application by its full AID; false when the card does not have it (6A82). */
  async selectApplication(application: Application): Promise<boolean> {
    if (this.selected === application) return true;
    const operation = `SELECT ${application} application`;
    const response = await this.exchange({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: AID[application] }, operation);
    if (response.sw === SW.FILE_NOT_FOUND) {
      this.selected = undefined;
      return false;
    }
    expectOk(response, operation);
    this.selected = application;
    return true;
  }

  async readTokenLabel(): Promise<string> {
    await this.requireApplication('jpki');
    const data = await this.readShortFile(JPKI_FILE.tokenInfo, 32, 'READ token info');
    return new TextDecoder('latin1').decode(data).replace(/[\s\0]+$/, '');
  }

  async readSignatureCertificatePresent(): Promise<boolean> {
    await this.requireApplication('jpki');
    const data = await this.readShortFile(JPKI_FILE.availability, 3, 'READ availability');
    if (data.length < 1) throw new CardResponseError('READ availability', 'the availability file is empty');
    return data[0] === SIGNATURE_CERTIFICATE_PRESENT;
  }

  /**
   * Reads a certificate EF whole, sized from its DER header: the first read
   * takes as much as one APDU allows, the rest follows in chunks. Returns
   * undefined for an empty EF. The signature certificate needs the signature
   * password verified first (else CardStatusError 6982).
   */
  async readCertificate(name: CertificateName): Promise<Uint8Array | undefined> {
    await this.requireApplication('jpki');
    const operation = `READ ${name} certificate`;
    const sfi = shortFileId(CERTIFICATE_FILE[name]);
    const first = await this.readFirstChunk(sfi, operation);
    if (first === undefined) return undefined;
    const total = derLength(first, operation);
    if (total === undefined) return undefined;

    const der = new Uint8Array(total);
    let have = Math.min(first.length, total);
    der.set(first.subarray(0, have));
    while (have < total) {
      const want = Math.min(SHORT_CHUNK, total - have);
      const response = await this.exchange({ cla: 0x00, ins: 0xb0, p1: have >> 8, p2: have & 0xff, le: want }, operation);
      expectOk(response, operation);
      const take = Math.min(response.data.length, want);
      der.set(response.data.subarray(0, take), have);
      have += take;
      // `want` never passes the end, so a chunk shorter than asked (an empty one too) means the file ends early.
      if (take < want) throw new CardResponseError(operation, `the file ends at ${have} bytes, its DER header says ${total}`);
    }
    return der;
  }

  async readCertificateSummary(name: CertificateName): Promise<CertificateSummary | undefined> {
    const der = await this.readCertificate(name);
    return der && parseCertificate(der, `READ ${name} certificate`);
  }

  /** Tries left, spending none: VERIFY without data. */
  async pinStatus(pin: PinId): Promise<PinStatus> {
    const { application, fid } = PIN_LOCATION[pin];
    if (!(await this.selectApplication(application))) return { state: 'absent' };
    const operation = `tries left for the ${pin} PIN`;
    const response = await this.exchange({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80 | shortFileId(fid) }, operation);
    if (response.sw === SW.OK) return { state: 'verified' };
    const triesLeft = triesLeftIn(response.sw);
    if (triesLeft !== undefined) return triesLeft === 0 ? { state: 'blocked' } : { state: 'available', triesLeft };
    // Some cards answer 6984 here for a blocked PIN (docs/card-protocol.md).
    if (response.sw === SW.PIN_BLOCKED) return { state: 'blocked' };
    if (response.sw === SW.FILE_NOT_FOUND) return { state: 'absent' };
    throw new CardStatusError(response.sw, operation);
  }

  /**
   * One VERIFY with the value the resident typed. Never retried: a wrong
   * answer is returned to the caller, who decides what to ask next. The
   * client never keeps, changes or wipes `typed` (the caller owns it); the
   * copies it makes are zeroed before it returns or throws.
   */
  async verify(pin: PinId, typed: PinValue): Promise<VerifyResult> {
    const { application, fid } = PIN_LOCATION[pin];
    const operation = `VERIFY ${pin} PIN`;
    const response = await this.withPin(pin, typed, async (data) => {
      await this.requireApplication(application);
      return this.exchange({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80 | shortFileId(fid), data }, operation);
    });
    if (response.sw === SW.OK) return { result: 'verified' };
    const triesLeft = triesLeftIn(response.sw);
    if (triesLeft !== undefined) return triesLeft === 0 ? { result: 'blocked' } : { result: 'wrong', triesLeft };
    if (response.sw === SW.PIN_BLOCKED) return { result: 'blocked' };
    throw new CardStatusError(response.sw, operation);
  }

  /** CHANGE REFERENCE DATA for a PIN verified in this power cycle; `typedNewValue` is handled as `verify` handles its value. */
  async changePin(pin: PinId, typedNewValue: PinValue): Promise<void> {
    const { application, fid } = PIN_LOCATION[pin];
    const operation = `CHANGE ${pin} PIN`;
    const response = await this.withPin(pin, typedNewValue, async (data) => {
      await this.requireApplication(application);
      await this.selectFile(fid, `SELECT ${pin} PIN file`);
      return this.exchange({ cla: 0x00, ins: 0x24, p1: 0x01, p2: 0x80, data }, operation);
    });
    expectOk(response, operation);
  }

  /** The card pads (PKCS#1 v1.5) and signs a DigestInfo with the chosen key; the matching PIN must be verified. */
  async sign(key: 'authentication' | 'signature', digestInfo: Uint8Array): Promise<Uint8Array> {
    await this.requireApplication('jpki');
    await this.selectFile(key === 'authentication' ? JPKI_FILE.authenticationKey : JPKI_FILE.signatureKey, `SELECT ${key} key`);
    const operation = `SIGN with the ${key} key`;
    const response = await this.exchange({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: digestInfo, le: 256 }, operation);
    expectOk(response, operation);
    if (response.data.length !== 256)
      throw new CardResponseError(operation, `an RSA-2048 signature is 256 bytes, the card gave ${response.data.length}`);
    return response.data;
  }

  /**
   * What the kiosk sees on the card without asking for any PIN: kind,
   * authentication certificate, tries left for each PIN, signature
   * certificate present. Nothing on the card changes; no try is spent.
   */
  async readStatus(): Promise<CardStatus> {
    const noPins = { authentication: { state: 'absent' }, signature: { state: 'absent' }, registry: { state: 'absent' } } as const;
    if (!(await this.selectApplication('jpki'))) {
      return { kind: 'not-my-number', signatureCertificatePresent: false, pins: { ...noPins } };
    }
    const tokenLabel = await this.readTokenLabel();
    const signatureCertificatePresent = await this.readSignatureCertificatePresent();
    const authenticationCertificate = await this.readCertificateSummary('authentication');
    const authentication = await this.pinStatus('authentication');
    const signature = await this.pinStatus('signature');
    const registry = await this.pinStatus('registry');
    return {
      kind: cardKind(tokenLabel, authentication),
      tokenLabel,
      signatureCertificatePresent,
      ...(authenticationCertificate ? { authenticationCertificate } : {}),
      pins: { authentication, signature, registry },
    };
  }

  /**
   * Runs `use` with the PIN as the card takes it, in a buffer of the
   * client's own that is zeroed when `use` settles. A value that breaks the
   * card's rule is refused before anything is sent (PinFormatError).
   */
  protected async withPin<T>(pin: PinId, typed: PinValue, use: (data: Uint8Array) => Promise<T>): Promise<T> {
    const value = normalisePin(pin, ownedPinBytes(typed));
    try {
      const problem = pinFormatProblem(pin, value);
      if (problem) throw new PinFormatError(pin, problem);
      return await use(value);
    } finally {
      value.fill(0);
    }
  }

  protected async requireApplication(application: Application): Promise<void> {
    if (!(await this.selectApplication(application))) {
      throw new CardStatusError(SW.FILE_NOT_FOUND, `SELECT ${application} application`);
    }
  }

  protected async selectFile(fid: number, operation: string): Promise<void> {
    const response = await this.exchange(
      { cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(fid >> 8, fid & 0xff) },
      operation,
    );
    expectOk(response, operation);
  }

  /** READ BINARY by short EF id: one APDU that selects and reads a small file. */
  private async readShortFile(fid: number, length: number, operation: string): Promise<Uint8Array> {
    const response = await this.exchange({ cla: 0x00, ins: 0xb0, p1: 0x80 | shortFileId(fid), p2: 0x00, le: length }, operation);
    expectOk(response, operation);
    return response.data;
  }

  /** The first chunk of a certificate EF, or undefined when the EF is empty. */
  private async readFirstChunk(sfi: number, operation: string): Promise<Uint8Array | undefined> {
    const read = (le: number, form: ApduForm) => this.exchange({ cla: 0x00, ins: 0xb0, p1: 0x80 | sfi, p2: 0x00, le }, operation, form);
    let response: ResponseApdu | undefined;
    if (this.extended !== 'refused') {
      try {
        response = await read(EXTENDED_MAX_LE, 'extended');
        if (response.sw === SW.WRONG_LENGTH || response.sw === SW.WRONG_P1P2 || response.sw === SW.INS_NOT_SUPPORTED) {
          this.extended = 'refused';
          response = undefined;
        } else {
          this.extended = 'works';
        }
      } catch (error) {
        // A reader that cannot carry extended APDUs fails the transmit; a card
        // that left or a stack that died is a different story and is reported.
        if (!(error instanceof ReaderError) || error.code !== 'transmit-failed') throw error;
        this.extended = 'refused';
      }
    }
    response ??= await read(SHORT_CHUNK, 'short');
    if (response.sw === SW.OFFSET_BEYOND_END) return undefined;
    expectOk(response, operation);
    return response.data;
  }

  protected async exchange(apdu: CommandApdu, operation: string, form?: ApduForm): Promise<ResponseApdu> {
    this.options.onExchange?.(operation);
    const command = encodeCommand(apdu, form);
    let answer: Uint8Array;
    try {
      answer = await this.connection.transmit(command);
    } finally {
      // Every command buffer is used once: zeroed when the transmit settled, so a
      // PIN in a VERIFY, CHANGE or RESET outlives it nowhere the client can reach.
      command.fill(0);
    }
    try {
      return parseResponse(answer);
    } catch (error) {
      // parseResponse throws nothing but MalformedResponseError: an answer too short to hold a status word.
      throw new CardResponseError(operation, (error as MalformedResponseError).message, { cause: error });
    }
  }
}

/** The x of a 63Cx answer (63C0: the PIN is blocked), or undefined for any other status word. */
function triesLeftIn(sw: number): number | undefined {
  return (sw & 0xfff0) === SW.TRIES_LEFT_BASE ? sw & 0x0f : undefined;
}

export function expectOk(response: ResponseApdu, operation: string): void {
  if (response.sw !== SW.OK) throw new CardStatusError(response.sw, operation);
}

/**
 * The total length of a DER element from its header, or undefined when the
 * EF holds no certificate (erased: starts FF or 00). Lengths that cannot be a
 * certificate on this card are the card's fault.
 */
export function derLength(head: Uint8Array, operation: string): number | undefined {
  if (head.length === 0 || head[0] === 0xff || head[0] === 0x00) return undefined;
  if (head[0] !== 0x30) throw new CardResponseError(operation, `expected a DER SEQUENCE (30), found ${head[0]!.toString(16)}`);
  if (head.length < 2) throw new CardResponseError(operation, 'the DER header is cut short');
  const first = head[1]!;
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3) throw new CardResponseError(operation, `unsupported DER length form ${first.toString(16)}`);
    if (head.length < 2 + octets) throw new CardResponseError(operation, 'the DER header is cut short');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + head[2 + i]!;
    headerLength = 2 + octets;
  }
  const total = headerLength + length;
  if (total > MAX_CERTIFICATE_LENGTH) throw new CardResponseError(operation, `a ${total}-byte certificate cannot be on this card`);
  return total;
}

function cardKind(tokenLabel: string, authenticationPin: PinStatus): CardKind {
  switch (tokenLabel) {
    case TOKEN_LABEL.myNumberCard:
      // Our shared assumption with the emulator (docs/card-protocol.md): a
      // face-authentication card is a My Number Card without the authentication PIN.
      return authenticationPin.state === 'absent' ? 'face-auth' : 'my-number';
    case TOKEN_LABEL.jukiCard:
      return 'juki';
    case TOKEN_LABEL.androidPhone:
    case TOKEN_LABEL.iPhone:
      return 'phone';
    default:
      return 'unknown-token';
  }
}
