import { constants, createHash, createPublicKey, generateKeyPairSync, publicDecrypt, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CardImage } from '../../main/simulation/card/card-image';
import { VirtualMyNumberCard, type VirtualMyNumberCardOptions } from '../../main/simulation/card/virtual-my-number-card';
import {
  issuerAuthenticateHex,
  issuerProof,
  publicKeyFromModulus,
  TEST_HOLDER,
  TEST_PINS,
  testCardImage,
  testCertificate,
  testKeys,
} from './helpers/test-card-image';

// Every command below is raw APDU hex, as a reader would carry it.

const AID = {
  jpki: 'D392F000260100000001',
  residentRegistry: 'D3921000310001010401',
  common: 'D3921000310001010100',
  cardInfo: 'D3921000310001010408',
  cardFace: 'D3921000310001010402',
} as const;

const selectAp = (aid: string) => `00A4040C${byteHex(aid.length / 2)}${aid}`;
const selectEf = (fid: string) => `00A4020C02${fid}`;
const ascii = (text: string) => Buffer.from(text, 'latin1').toString('hex');
const verifyPin = (pin: string, p2 = '80') => `002000${p2}${byteHex(pin.length)}${ascii(pin)}`;
const changePin = (pin: string) => `00240180${byteHex(pin.length)}${ascii(pin)}`;
const signApdu = (digestInfo: Uint8Array) => `802A0080${byteHex(digestInfo.length)}${Buffer.from(digestInfo).toString('hex')}00`;

const SHA256_DIGEST_INFO_PREFIX = '3031300D060960864801650304020105000420';
const digestInfoOf = (message: string) =>
  Buffer.concat([Buffer.from(SHA256_DIGEST_INFO_PREFIX, 'hex'), createHash('sha256').update(message).digest()]);

function byteHex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function card(image: CardImage = testCardImage(), options?: VirtualMyNumberCardOptions): VirtualMyNumberCard {
  return new VirtualMyNumberCard(image, options);
}

/** Sends one APDU; answers the status word as hex and the response data. */
function send(target: VirtualMyNumberCard, apdu: string): { sw: string; data: Buffer } {
  const response = Buffer.from(target.transmit(Uint8Array.from(Buffer.from(apdu.replace(/\s+/g, ''), 'hex'))));
  return { sw: response.subarray(-2).toString('hex').toUpperCase(), data: response.subarray(0, -2) };
}

function sw(target: VirtualMyNumberCard, apdu: string): string {
  return send(target, apdu).sw;
}

/** Sends each APDU in turn, expecting 9000 from each (a test's setup steps). */
function ok(target: VirtualMyNumberCard, ...apdus: string[]): void {
  for (const apdu of apdus) expect(sw(target, apdu), apdu).toBe('9000');
}

/** Reads a whole EF in 256-byte chunks, as the kiosk does, sized from its DER header. */
function readCertificate(target: VirtualMyNumberCard): Buffer {
  const first = send(target, '00B0000000');
  expect(first.sw).toBe('9000');
  const total = first.data.readUInt16BE(2) + 4;
  const chunks = [first.data];
  for (let offset = first.data.length; offset < total; offset += 256) {
    const next = send(target, `00B0${offset.toString(16).padStart(4, '0')}${byteHex(Math.min(256, total - offset) & 0xff)}`);
    expect(next.sw).toBe('9000');
    chunks.push(next.data);
  }
  return Buffer.concat(chunks).subarray(0, total);
}

function imageCertificate(image: CardImage, slot: 'authentication' | 'signature'): Buffer {
  return Buffer.from(image.jpki?.[slot].certificate ?? '', 'base64');
}

/** GET CHALLENGE + ISSUER AUTHENTICATE with the test issuer key, for one purpose (a renewal unless named). */
function proveIssuer(target: VirtualMyNumberCard, purpose: 'renewal' | 'pin-reset' = 'renewal'): void {
  const challenge = send(target, '0084000010');
  expect(challenge.sw).toBe('9000');
  expect(sw(target, issuerAuthenticateHex(issuerProof(challenge.data, undefined, { purpose }), purpose))).toBe('9000');
}

/** WRITE STAGED CERTIFICATE in 255-byte chunks with rising offsets, into the current EF. */
function writeCertificate(target: VirtualMyNumberCard, certificate: Uint8Array): void {
  for (let offset = 0; offset < certificate.length; offset += 255) {
    const chunk = Buffer.from(certificate.subarray(offset, offset + 255));
    expect(sw(target, `80D6${offset.toString(16).padStart(4, '0')}${byteHex(chunk.length)}${chunk.toString('hex')}`)).toBe('9000');
  }
}

function signsFor(target: VirtualMyNumberCard, publicKey: Parameters<typeof verify>[2]): boolean {
  const signature = send(target, signApdu(digestInfoOf('abc')));
  expect(signature.sw).toBe('9000');
  return verify('sha256', Buffer.from('abc'), publicKey, signature.data);
}

describe('the virtual My Number Card: applications', () => {
  it('has the ATR of its image', () => {
    expect(Buffer.from(card().atr).toString('hex').toUpperCase()).toBe('3BE000FF8131FE4514');
  });

  it('selects each of the five applications by full AID with P2 0C', () => {
    const c = card();
    for (const aid of Object.values(AID)) expect(sw(c, selectAp(aid)), aid).toBe('9000');
  });

  it('selects the JPKI application with P2 00 and Le, answering no data', () => {
    expect(send(card(), `00A404000A${AID.jpki}00`)).toEqual({ sw: '9000', data: Buffer.alloc(0) });
  });

  it('answers 6A82 to an application it does not have, in every SELECT form', () => {
    const c = card();
    expect(sw(c, '00A4040C07A0000000031010')).toBe('6A82');
    expect(sw(c, '00A4040007A000000003101000')).toBe('6A82');
    expect(sw(c, `00A4040C09${AID.jpki.slice(0, 18)}`)).toBe('6A82'); // a prefix of the JPKI AID
    expect(sw(c, `00A4040C0B${AID.jpki}00`)).toBe('6A82'); // the JPKI AID and one byte more
  });

  it('keeps the current application and EF when a SELECT fails', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0006'));
    expect(sw(c, '00A4040C07A0000000031010')).toBe('6A82');
    expect(sw(c, selectEf('0099'))).toBe('6A82');
    expect(send(c, '00B0000004').data.toString('latin1')).toBe('JPKI');
  });

  it('answers 6A86 to SELECT with any P1 but 02 (EF) and 04 (DF name)', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    for (const p1 of ['00', '01', '08', '09']) expect(sw(c, `00A4${p1}0C020006`), p1).toBe('6A86');
  });

  it('answers 6A82 to SELECT EF of a FID the application lacks, and before any application', () => {
    const c = card();
    expect(sw(c, selectEf('000A'))).toBe('6A82');
    ok(c, selectAp(AID.jpki));
    expect(sw(c, selectEf('001C'))).toBe('6A82');
    expect(sw(c, selectEf('3F00'))).toBe('6A82');
  });

  it('answers 6700 to SELECT EF with a FID that is not two bytes, and to SELECT without data', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00A4020C0100')).toBe('6700');
    expect(sw(c, '00A4020C0300000A')).toBe('6700');
    expect(sw(c, '00A4040C')).toBe('6700');
  });

  it('is a card that is not a My Number Card: 6A82 to every My Number AID and every EF, 6A86 to other SELECT forms', () => {
    const c = card(testCardImage('not-my-number'));
    for (const aid of Object.values(AID)) {
      expect(sw(c, selectAp(aid)), aid).toBe('6A82');
      expect(sw(c, `00A404000A${aid}00`), aid).toBe('6A82');
    }
    expect(sw(c, selectEf('000A'))).toBe('6A82');
    expect(sw(c, '00A4000C023F00')).toBe('6A86');
    expect(sw(c, '00B0000004')).toBe('6985');
    expect(sw(c, '00200098')).toBe('6A82');
  });

  it('is an old 住基カード: JPKI with label JPKIAPICCTOKEN and the 住基AP, and none of the My Number Card applications', () => {
    const c = card(testCardImage('juki'));
    ok(c, selectAp(AID.jpki), selectEf('0006'));
    expect(send(c, '00B0000020').data.toString('latin1')).toBe('JPKIAPICCTOKEN'.padEnd(32, ' '));
    ok(c, selectAp(AID.residentRegistry), verifyPin(TEST_PINS.residentRegistry, '9C'));
    for (const aid of [AID.common, AID.cardInfo, AID.cardFace]) expect(sw(c, selectAp(aid)), aid).toBe('6A82');
  });
});

describe('READ BINARY', () => {
  it('reads the token label: "JPKIAPICCTOKEN2" and 17 spaces', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0006'));
    expect(send(c, '00B0000020')).toEqual({ sw: '9000', data: Buffer.from('JPKIAPICCTOKEN2'.padEnd(32, ' '), 'latin1') });
  });

  it('reads the 3-byte availability file, 8F first when a signature certificate exists', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0008'));
    expect(send(c, '00B0000000')).toEqual({ sw: '9000', data: Buffer.from('8F0000', 'hex') });
  });

  it('reads a certificate in 256-byte chunks sized from its DER header', () => {
    const image = testCardImage();
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    const header = send(c, '00B0000004').data;
    expect([header[0], header[1]]).toEqual([0x30, 0x82]);
    expect(header.readUInt16BE(2) + 4).toBeGreaterThan(256);
    expect(readCertificate(c)).toEqual(imageCertificate(image, 'authentication'));
  });

  it('reads both CA certificates freely', () => {
    const image = testCardImage();
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000B'));
    expect(readCertificate(c)).toEqual(Buffer.from(image.jpki!.authenticationCa, 'base64'));
    ok(c, selectEf('0002'));
    expect(readCertificate(c)).toEqual(Buffer.from(image.jpki!.signatureCa, 'base64'));
  });

  it('answers 256 bytes to a short Le of 00', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(send(c, '00B0000000').data).toHaveLength(256);
  });

  it('reads a whole certificate in one command with an extended Le', () => {
    const image = testCardImage();
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(send(c, '00B00000000800')).toEqual({ sw: '9000', data: imageCertificate(image, 'authentication') });
  });

  it('answers the bytes up to the end with 9000 when Le runs past the end', () => {
    const image = testCardImage();
    const certificate = imageCertificate(image, 'authentication');
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    const offset = certificate.length - 10;
    expect(send(c, `00B0${offset.toString(16).padStart(4, '0')}00`)).toEqual({ sw: '9000', data: certificate.subarray(offset) });
    ok(c, selectEf('0008'));
    expect(send(c, '00B0000010').data).toHaveLength(3);
  });

  it('answers 6B00 to an offset at or past the end', () => {
    const image = testCardImage();
    const length = imageCertificate(image, 'authentication').length;
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(sw(c, `00B0${length.toString(16).padStart(4, '0')}01`)).toBe('6B00');
    expect(sw(c, '00B07FFF01')).toBe('6B00');
  });

  it('answers 6B00 at offset 0 of an empty certificate EF', () => {
    const image = testCardImage();
    delete image.jpki!.authentication.certificate;
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(sw(c, '00B0000004')).toBe('6B00');
  });

  it('reads by short EF identifier, which also makes the EF current', () => {
    const image = testCardImage();
    const certificate = imageCertificate(image, 'authentication');
    const c = card(image);
    ok(c, selectAp(AID.jpki));
    expect(send(c, '00B08A0004')).toEqual({ sw: '9000', data: certificate.subarray(0, 4) });
    expect(send(c, '00B0000404').data).toEqual(certificate.subarray(4, 8));
  });

  it('answers 6A82 to a short EF identifier the application lacks, and 6A86 to a P1 with bits 7–6 set', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00B09C0004')).toBe('6A82');
    expect(sw(c, '00B0CA0004')).toBe('6A86');
  });

  it('answers 6981 to READ of a PIN EF or a key EF, in both forms', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    for (const fid of ['0017', '0018', '001A', '001B']) {
      ok(c, selectEf(fid));
      expect(sw(c, '00B0000004'), fid).toBe('6981');
    }
    expect(sw(c, '00B0980004')).toBe('6981');
  });

  it('answers 6985 to READ with no EF current', () => {
    const c = card();
    expect(sw(c, '00B0000004')).toBe('6985');
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00B0000004')).toBe('6985');
  });

  it('answers 6700 to READ without Le', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0006'));
    expect(sw(c, '00B00000')).toBe('6700');
  });

  it('reads the signature certificate only after the signature password is verified', () => {
    const image = testCardImage();
    const c = card(image);
    ok(c, selectAp(AID.jpki), selectEf('0001'));
    expect(sw(c, '00B0000004')).toBe('6982');
    expect(sw(c, '00B0810004')).toBe('6982');
    ok(c, verifyPin(TEST_PINS.signature, '9B'), selectEf('0001'));
    expect(readCertificate(c)).toEqual(imageCertificate(image, 'signature'));
  });

  it('carries the card-info files behind the card-info PIN: the My Number and the basic 4', () => {
    const c = card();
    ok(c, selectAp(AID.cardInfo), selectEf('0001'));
    expect(sw(c, '00B0000011')).toBe('6982');
    ok(c, verifyPin(TEST_PINS.cardInfo, '91'), selectEf('0001'));
    expect(send(c, '00B0000000')).toEqual({
      sw: '9000',
      data: Buffer.concat([Buffer.from('FF100C', 'hex'), Buffer.from(TEST_HOLDER.myNumber)]),
    });
    ok(c, selectEf('0002'));
    const basicFour = send(c, '00B0000000').data;
    expect([basicFour[0], basicFour[1]]).toEqual([0xff, 0x20]);
    for (const field of [TEST_HOLDER.name, TEST_HOLDER.address, TEST_HOLDER.dateOfBirth])
      expect(basicFour.includes(Buffer.from(field, 'utf8')), field).toBe(true);
  });

  it('has a readable file in the card face AP', () => {
    const c = card();
    ok(c, selectAp(AID.cardFace), selectEf('0003'));
    expect(send(c, '00B0000000').data.length).toBeGreaterThan(0);
  });
});

describe('VERIFY and the tries-left query', () => {
  it('answers the tries left without spending one: 63C3 for the PIN, 63C5 for the signature password', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, '00200080')).toBe('63C3');
    expect(sw(c, '00200080')).toBe('63C3');
    ok(c, selectEf('001B'));
    expect(sw(c, '00200080')).toBe('63C5');
  });

  it('follows the doc example: a wrong entry answers 63C2, the right one 9000 and sets the counter back to 3', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, '00200080')).toBe('63C3');
    expect(sw(c, verifyPin('1235'))).toBe('63C2');
    expect(c.snapshot().jpki?.authenticationPin?.triesLeft).toBe(2);
    expect(sw(c, verifyPin('1234'))).toBe('9000');
    expect(c.snapshot().jpki?.authenticationPin?.triesLeft).toBe(3);
    ok(c, selectEf('001B'), verifyPin('ABC123'));
  });

  it('answers 9000 to the query once the PIN is verified in this power cycle', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'), verifyPin(TEST_PINS.authentication), '00200080');
  });

  it('blocks the authentication PIN after 3 wrong entries: 63C2, 63C1, 63C0, then 6984, and the query says 63C0', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(['0000', '0000', '0000'].map((wrong) => sw(c, verifyPin(wrong)))).toEqual(['63C2', '63C1', '63C0']);
    expect(sw(c, verifyPin(TEST_PINS.authentication))).toBe('6984');
    expect(sw(c, '00200080')).toBe('63C0');
    expect(c.snapshot().jpki?.authenticationPin?.triesLeft).toBe(0);
  });

  it('blocks the signature password after 5 wrong entries, and 6984 spends nothing', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('001B'));
    const answers = ['WRONG1', 'WRONG1', 'WRONG1', 'WRONG1', 'WRONG1'].map((wrong) => sw(c, verifyPin(wrong)));
    expect(answers).toEqual(['63C4', '63C3', '63C2', '63C1', '63C0']);
    expect(sw(c, verifyPin(TEST_PINS.signature))).toBe('6984');
    expect(sw(c, verifyPin('WRONG1'))).toBe('6984');
    expect(sw(c, '00200080')).toBe('63C0');
    expect(c.snapshot().jpki?.signaturePassword).toEqual({ value: TEST_PINS.signature, maxTries: 5, triesLeft: 0 });
  });

  it('keeps a blocked PIN blocked across power-down', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    for (let i = 0; i < 3; i++) sw(c, verifyPin('0000'));
    c.powerDown();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, '00200080')).toBe('63C0');
  });

  it('starts from the counter in the image', () => {
    const image = testCardImage();
    image.jpki!.authenticationPin!.triesLeft = 1;
    const c = card(image);
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00200098')).toBe('63C1');
    expect(sw(c, verifyPin('0000', '98'))).toBe('63C0');
  });

  it('verifies by short EF identifier without a SELECT: 98, 9B in JPKI, 9C in the 住基AP, 91 in the card-info AP', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00200098')).toBe('63C3');
    ok(c, verifyPin(TEST_PINS.signature, '9B'));
    ok(c, selectAp(AID.residentRegistry));
    expect(sw(c, '0020009C')).toBe('63C3');
    ok(c, verifyPin(TEST_PINS.residentRegistry, '9C'));
    ok(c, selectAp(AID.cardInfo), verifyPin(TEST_PINS.cardInfo, '91'));
  });

  it('makes the EF current when verifying by short EF identifier', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'));
    expect(sw(c, '00200080')).toBe('9000');
  });

  it('keeps separate counters for the registry PIN of the 住基AP and of the common AP', () => {
    const c = card();
    ok(c, selectAp(AID.residentRegistry), selectEf('001C'));
    expect(sw(c, verifyPin('0000'))).toBe('63C2');
    ok(c, selectAp(AID.common), selectEf('001C'));
    expect(sw(c, '00200080')).toBe('63C3');
    ok(c, verifyPin(TEST_PINS.common));
    expect(c.snapshot().residentRegistry?.pin?.triesLeft).toBe(2);
  });

  it('keeps a verified PIN verified while another application is selected, until power-down', () => {
    const image = testCardImage();
    const c = card(image);
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.signature, '9B'));
    ok(c, selectAp(AID.residentRegistry), verifyPin(TEST_PINS.residentRegistry, '9C'));
    ok(c, selectAp(AID.jpki), selectEf('0001'), '00B0000004', '0020009B');
    ok(c, selectAp(AID.residentRegistry), '0020009C');
  });

  it('forgets every verified PIN at power-down', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.signature, '9B'), verifyPin(TEST_PINS.authentication, '98'));
    c.powerDown();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '0020009B')).toBe('63C5');
    expect(sw(c, '00200098')).toBe('63C3');
    ok(c, selectEf('0001'));
    expect(sw(c, '00B0000004')).toBe('6982');
  });

  it('forgets that a PIN was verified when a wrong entry follows', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.signature, '9B'));
    expect(sw(c, verifyPin('WRONG1', '9B'))).toBe('63C4');
    ok(c, selectEf('0001'));
    expect(sw(c, '00B0000004')).toBe('6982');
  });

  it('answers 6981 to VERIFY on an EF that is not a PIN, 6985 with no EF current', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '00200080')).toBe('6985');
    ok(c, selectEf('000A'));
    expect(sw(c, '00200080')).toBe('6981');
    expect(sw(c, '0020008A')).toBe('6981');
  });

  it('answers 6A82 to VERIFY by a short EF identifier the application lacks', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '0020009C')).toBe('6A82');
    expect(sw(c, '00200091')).toBe('6A82');
  });

  it('answers 6A86 to VERIFY with P1 other than 00 or a P2 that names no PIN', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, '00200180')).toBe('6A86');
    expect(sw(c, '00200000')).toBe('6A86');
    expect(sw(c, '002000A0')).toBe('6A86');
  });
});

describe('CHANGE REFERENCE DATA', () => {
  it('answers 6982 before the PIN is verified in this power cycle', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, changePin('5678'))).toBe('6982');
    expect(c.snapshot().jpki?.authenticationPin?.value).toBe(TEST_PINS.authentication);
  });

  it('changes a verified PIN: the new value verifies after power-down and the old one does not', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'), verifyPin('1234'), changePin('5678'));
    expect(c.snapshot().jpki?.authenticationPin).toEqual({ value: '5678', maxTries: 3, triesLeft: 3 });
    c.powerDown();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    expect(sw(c, verifyPin('1234'))).toBe('63C2');
    ok(c, verifyPin('5678'));
  });

  it('changes the signature password and the card-info PIN', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('001B'), verifyPin(TEST_PINS.signature), changePin('NEWPASS2024'));
    ok(c, selectAp(AID.cardInfo), selectEf('0011'), verifyPin(TEST_PINS.cardInfo), changePin('0000'));
    const snapshot = c.snapshot();
    expect(snapshot.jpki?.signaturePassword?.value).toBe('NEWPASS2024');
    expect(snapshot.cardInfo?.pin?.value).toBe('0000');
  });

  it('answers 6A80 to a new 4-digit PIN that breaks the rule, and keeps the old value', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'), verifyPin(TEST_PINS.authentication));
    for (const bad of ['123', '12345', '12a4', 'ABCD']) expect(sw(c, changePin(bad)), bad).toBe('6A80');
    expect(c.snapshot().jpki?.authenticationPin?.value).toBe(TEST_PINS.authentication);
  });

  it('answers 6A80 to a new signature password that breaks the rule', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('001B'), verifyPin(TEST_PINS.signature));
    for (const bad of ['AB123', 'ABCDEFGHIJKLMNOP1', 'ABCDEF', '123456', 'abc123', 'ABC-123'])
      expect(sw(c, changePin(bad)), bad).toBe('6A80');
    ok(c, changePin('A23456'), changePin('ABCDEFGHIJKLMNO1'));
  });

  it('answers 6985 to a change of a registry PIN, which only the issuer channel can reset', () => {
    const c = card();
    ok(c, selectAp(AID.residentRegistry), selectEf('001C'), verifyPin(TEST_PINS.residentRegistry));
    expect(sw(c, changePin('1111'))).toBe('6985');
  });

  it('answers 6A86 to P1 00 (old and new value) and 6700 without data', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'), verifyPin(TEST_PINS.authentication));
    expect(sw(c, `00240080 08 ${ascii('12345678')}`)).toBe('6A86');
    expect(sw(c, '00240180')).toBe('6700');
  });
});

describe('COMPUTE DIGITAL SIGNATURE', () => {
  it('signs the doc example DigestInfo with the authentication key: PKCS#1 v1.5, 256 bytes', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    const signature = send(c, signApdu(digestInfoOf('abc')));
    expect(signature.sw).toBe('9000');
    expect(signature.data).toHaveLength(256);
    const publicKey = createPublicKey(testKeys().authentication);
    expect(verify('sha256', Buffer.from('abc'), publicKey, signature.data)).toBe(true);
    expect(publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature.data)).toEqual(digestInfoOf('abc'));
  });

  it('signs with the signature key after the signature password', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.signature, '9B'), selectEf('001A'));
    expect(signsFor(c, createPublicKey(testKeys().signature))).toBe(true);
  });

  it('answers 6982 when the matching PIN is not verified', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0017'));
    expect(sw(c, signApdu(digestInfoOf('abc')))).toBe('6982');
    ok(c, verifyPin(TEST_PINS.authentication, '98'), selectEf('001A'));
    expect(sw(c, signApdu(digestInfoOf('abc')))).toBe('6982');
  });

  it('answers 6985 with no key EF current', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'));
    ok(c, selectAp(AID.jpki));
    expect(sw(c, signApdu(digestInfoOf('abc')))).toBe('6985');
    ok(c, selectEf('000A'));
    expect(sw(c, signApdu(digestInfoOf('abc')))).toBe('6985');
  });

  it('accepts a DigestInfo of 245 bytes and answers 6700 to 246', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    expect(sw(c, signApdu(new Uint8Array(245).fill(0x5a)))).toBe('9000');
    expect(sw(c, `802A00800000F6${'5A'.repeat(246)}0000`)).toBe('6700');
  });

  it('answers 6A86 to P1-P2 other than 00 80', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    expect(sw(c, signApdu(digestInfoOf('abc')).replace(/^802A0080/, '802A9E9A'))).toBe('6A86');
  });
});

describe('the face-authentication card', () => {
  it('is a My Number Card (JPKIAPICCTOKEN2) with no authentication PIN and no signature password', () => {
    const c = card(testCardImage('face-auth'));
    ok(c, selectAp(AID.jpki), selectEf('0006'));
    expect(send(c, '00B000000F').data.toString('latin1')).toBe('JPKIAPICCTOKEN2');
    expect(sw(c, selectEf('0018'))).toBe('6A82');
    expect(sw(c, selectEf('001B'))).toBe('6A82');
    expect(sw(c, '00200098')).toBe('6A82');
    expect(sw(c, verifyPin('1234', '98'))).toBe('6A82');
    expect(sw(c, '0020009B')).toBe('6A82');
  });

  it('has no signature certificate: 0008 does not start with 8F', () => {
    const c = card(testCardImage('face-auth'));
    ok(c, selectAp(AID.jpki), selectEf('0008'));
    expect(send(c, '00B0000003').data[0]).not.toBe(0x8f);
  });

  it('signs with its authentication key without a PIN (our assumption: the face check)', () => {
    const c = card(testCardImage('face-auth'));
    ok(c, selectAp(AID.jpki), selectEf('0017'));
    expect(signsFor(c, createPublicKey(testKeys().authentication))).toBe(true);
  });

  it('answers 6985 to SIGN with the empty signature key slot', () => {
    const c = card(testCardImage('face-auth'));
    ok(c, selectAp(AID.jpki), selectEf('001A'));
    expect(sw(c, signApdu(digestInfoOf('abc')))).toBe('6985');
  });
});

describe('classes, instructions and malformed commands', () => {
  it('answers 6D00 to an instruction it does not know', () => {
    const c = card();
    expect(sw(c, '00CB000000')).toBe('6D00');
    expect(sw(c, '80FF0000')).toBe('6D00');
  });

  it('answers 6E00 to a class other than 00 and 80', () => {
    const c = card();
    for (const cla of ['01', '0C', '84', 'FF']) expect(sw(c, `${cla}A4040C0A${AID.jpki}`), cla).toBe('6E00');
  });

  it('answers 6E00 to a proprietary command under CLA 00, and a standard one under CLA 80', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    expect(sw(c, signApdu(digestInfoOf('abc')).replace(/^80/, '00'))).toBe('6E00');
    expect(sw(c, `80A4040C0A${AID.jpki}`)).toBe('6E00');
    expect(sw(c, '80B0000004')).toBe('6E00');
  });

  it('answers 6700 to fewer than 4 bytes and to an Lc that does not match the data', () => {
    const c = card();
    expect(sw(c, '00A404')).toBe('6700');
    expect(sw(c, '')).toBe('6700');
    expect(sw(c, `00A4040C0B${AID.jpki}`)).toBe('6700');
  });

  it('never throws: any byte string gets a status word', () => {
    const c = card();
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: next() % 40 }, next);
      if (bytes.length > 0 && i % 3 === 0) bytes[0] = [0x00, 0x80][i % 2]!;
      if (bytes.length > 1 && i % 3 === 0) bytes[1] = [0xa4, 0xb0, 0x20, 0x24, 0x2a, 0x84, 0x82, 0x46, 0x48, 0xd6, 0xe8, 0x2c][i % 12]!;
      const response = c.transmit(bytes);
      expect(response.length).toBeGreaterThanOrEqual(2);
      expect(response[response.length - 2]).not.toBe(0x6f);
    }
  });
});

describe('the simulated issuer channel', () => {
  const issuerCommands = {
    'GENERATE KEY PAIR': '80460017 00',
    'READ PUBLIC KEY': '80480017 00',
    'WRITE STAGED CERTIFICATE': '80D60000 02 3082',
    COMMIT: '80E80000',
    'DISCARD STAGED': '80E80100',
    'RESET PIN': `802C0098 04 ${ascii('1111')}`,
  };

  it.each(Object.entries(issuerCommands))('answers 6982 to %s without issuer proof', (_name, apdu) => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(sw(c, apdu)).toBe('6982');
  });

  it('answers its chip serial to GET CHIP SERIAL, and 6A82 on a card made without one', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(send(c, '80CA000108')).toEqual({ sw: '9000', data: Buffer.from('0123456789ABCDEF', 'hex') });
    expect(sw(c, '80CA000208')).toBe('6A86');
    const image = testCardImage();
    delete image.chipSerial;
    const bare = card(image);
    ok(bare, selectAp(AID.jpki));
    expect(sw(bare, '80CA000108')).toBe('6A82');
  });

  it('refuses a proof bound to another card, another renewal or another purpose (6982), and a purpose it does not know (6A86)', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    const attempt = (binding: Parameters<typeof issuerProof>[2], purpose: 'renewal' | 'pin-reset' = 'renewal', reference?: string) => {
      const challenge = send(c, '0084000010').data;
      return sw(c, issuerAuthenticateHex(issuerProof(challenge, undefined, binding), purpose, reference));
    };
    expect(attempt({ chipSerial: 'FEDCBA9876543210' })).toBe('6982');
    expect(attempt({ reference: 'renewal-other' })).toBe('6982');
    expect(attempt({}, 'renewal', 'renewal-other')).toBe('6982');
    expect(attempt({ purpose: 'pin-reset' }, 'renewal')).toBe('6982');
    expect(attempt({ purpose: 'renewal' }, 'pin-reset')).toBe('6982');
    const challenge = send(c, '0084000010').data;
    expect(sw(c, issuerAuthenticateHex(issuerProof(challenge)).replace(/^80820001/, '80820003'))).toBe('6A86');
    expect(sw(c, '8046001700')).toBe('6982');
  });

  it('lets a proof allow only its own purpose: a renewal proof resets no PIN, a PIN-reset proof makes no keys', () => {
    const renewing = card();
    ok(renewing, selectAp(AID.jpki));
    proveIssuer(renewing, 'renewal');
    expect(sw(renewing, `802C0098 04 ${ascii('4321')}`)).toBe('6982');
    expect(send(renewing, '8046001700').sw).toBe('9000');

    const resetting = card();
    ok(resetting, selectAp(AID.jpki));
    proveIssuer(resetting, 'pin-reset');
    expect(sw(resetting, '8046001700')).toBe('6982');
    expect(sw(resetting, '80E80000')).toBe('6982');
    ok(resetting, `802C0098 04 ${ascii('4321')}`);
  });

  it('gives a 16-byte challenge from its random source', () => {
    const c = card(testCardImage(), { random: (n) => new Uint8Array(n).fill(0xc5) });
    ok(c, selectAp(AID.jpki));
    expect(send(c, '0084000010')).toEqual({ sw: '9000', data: Buffer.alloc(16, 0xc5) });
    expect(sw(c, '0084000008')).toBe('6700');
    expect(sw(c, '0084000000')).toBe('6700');
  });

  it('answers 6985 to GET CHALLENGE outside the JPKI application', () => {
    const c = card();
    expect(sw(c, '0084000010')).toBe('6985');
    ok(c, selectAp(AID.residentRegistry));
    expect(sw(c, '0084000010')).toBe('6985');
  });

  it('accepts the issuer signature over "JPKI-SIM-ISSUER-V1" ‖ challenge', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    expect(send(c, '8048001700').sw).toBe('9000');
  });

  it('answers 6985 to ISSUER AUTHENTICATE with no challenge outstanding', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, `8082000160${'00'.repeat(96)}`)).toBe('6985');
  });

  it('answers 6982 to a bad issuer signature, and the challenge is consumed', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    const challenge = send(c, '0084000010').data;
    const proof = Buffer.from(issuerProof(challenge));
    const forged = Buffer.from(proof);
    forged.writeUInt8(forged.readUInt8(10) ^ 0x01, 10);
    expect(sw(c, issuerAuthenticateHex(forged))).toBe('6982');
    expect(sw(c, issuerAuthenticateHex(proof))).toBe('6985');
    expect(sw(c, '8046001700')).toBe('6982');
  });

  it('answers 6982 to a signature by a key other than the trust anchor', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const c = card();
    ok(c, selectAp(AID.jpki));
    const challenge = send(c, '0084000010').data;
    expect(sw(c, issuerAuthenticateHex(issuerProof(challenge, stranger)))).toBe('6982');
  });

  it('answers 6985 to a reused challenge: a replayed answer proves nothing', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    const challenge = send(c, '0084000010').data;
    const answer = issuerAuthenticateHex(issuerProof(challenge));
    ok(c, answer);
    c.powerDown();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, answer)).toBe('6985');
    send(c, '0084000010');
    expect(sw(c, answer)).toBe('6982');
  });

  it('answers 6982 to ISSUER AUTHENTICATE on a card whose image has no trust anchor', () => {
    const image = testCardImage();
    delete image.issuerTrustAnchor;
    const c = card(image);
    ok(c, selectAp(AID.jpki));
    const challenge = send(c, '0084000010').data;
    expect(sw(c, issuerAuthenticateHex(issuerProof(challenge)))).toBe('6982');
  });

  it('answers 6700 to ISSUER AUTHENTICATE with other than 64 bytes', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), '0084000010');
    expect(sw(c, `808200015F${'00'.repeat(95)}`)).toBe('6700');
  });

  it('keeps the issuer proof card-wide until power-down, across SELECTs of other applications', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    ok(c, selectAp(AID.residentRegistry), selectAp(AID.jpki), '8048001700');
    c.powerDown();
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '8048001700')).toBe('6982');
  });

  it('reads the current public key of each slot, and answers 6A82 for a staged one before any generation', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const current = send(c, '8048001700');
    expect(current.data).toHaveLength(256);
    expect(publicKeyFromModulus(current.data).export({ format: 'der', type: 'spki' })).toEqual(
      createPublicKey(testKeys().authentication).export({ format: 'der', type: 'spki' }),
    );
    expect(sw(c, '8048011700')).toBe('6A82');
    expect(sw(c, '8048021700')).toBe('6A86');
    expect(sw(c, '8048001800')).toBe('6A86');
  });

  it('generates a staged key that replaces an earlier staged key of that slot and leaves the current one in use', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'));
    proveIssuer(c);
    const first = send(c, '8046001700');
    const second = send(c, '8046001700');
    expect(first.sw).toBe('9000');
    expect(second.data).toHaveLength(256);
    expect(second.data).not.toEqual(first.data);
    expect(send(c, '8048011700').data).toEqual(second.data);
    expect(c.snapshot().jpki?.authentication.privateKey).toBe(testCardImage().jpki?.authentication.privateKey);
    ok(c, selectEf('0017'));
    expect(signsFor(c, createPublicKey(testKeys().authentication))).toBe(true);
  });

  it('renews both certificates as in the doc example: staged, invisible until COMMIT, then current together', async () => {
    const original = testCardImage();
    const c = card(original);
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'), verifyPin(TEST_PINS.signature, '9B'));
    proveIssuer(c);
    const authModulus = send(c, '8046001700').data;
    const signModulus = send(c, '8046001A00').data;
    const authCertificate = await testCertificate(publicKeyFromModulus(authModulus), 'auth-0002');
    const signCertificate = await testCertificate(publicKeyFromModulus(signModulus), 'sign-0002');
    ok(c, selectEf('000A'));
    writeCertificate(c, authCertificate);
    ok(c, selectEf('0001'));
    writeCertificate(c, signCertificate);

    // Staged, not current: reading still gives the old set.
    ok(c, selectEf('000A'));
    expect(readCertificate(c)).toEqual(imageCertificate(original, 'authentication'));

    ok(c, '80E80000');
    ok(c, selectEf('000A'));
    expect(readCertificate(c)).toEqual(Buffer.from(authCertificate));
    ok(c, selectEf('0001'));
    expect(readCertificate(c)).toEqual(Buffer.from(signCertificate));
    ok(c, selectEf('0017'));
    expect(signsFor(c, publicKeyFromModulus(authModulus))).toBe(true);
    ok(c, selectEf('001A'));
    expect(signsFor(c, publicKeyFromModulus(signModulus))).toBe(true);
    expect(send(c, '8048001A00').data).toEqual(signModulus);

    const after = c.snapshot();
    expect(after.jpki?.staged).toBeUndefined();
    expect(after.jpki?.authentication.privateKey).not.toBe(original.jpki?.authentication.privateKey);
    expect(after.jpki?.authentication.certificate).toBe(Buffer.from(authCertificate).toString('base64'));
    expect(after.jpki?.signature.certificate).toBe(Buffer.from(signCertificate).toString('base64'));
    expect(after.jpki?.authenticationPin).toEqual(original.jpki?.authenticationPin);
    expect(after.jpki?.signaturePassword).toEqual(original.jpki?.signaturePassword);
  });

  it('commits a certificate for the current key when no key is staged', async () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const reissued = await testCertificate(testKeys().authentication, 'auth-reissued');
    ok(c, selectEf('000A'));
    writeCertificate(c, reissued);
    ok(c, '80E80000', selectEf('000A'));
    expect(readCertificate(c)).toEqual(Buffer.from(reissued));
  });

  it('answers 6985 to COMMIT of a staged key without a certificate, and changes nothing', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    ok(c, '8046001700');
    const before = c.snapshot();
    expect(sw(c, '80E80000')).toBe('6985');
    expect(c.snapshot()).toEqual(before);
  });

  it('answers 6985 to COMMIT of a certificate for another key, or of bytes that are no certificate', async () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const modulus = send(c, '8046001700').data;
    ok(c, selectEf('000A'));
    writeCertificate(c, await testCertificate(testKeys().signature, 'wrong-key'));
    const before = c.snapshot();
    expect(sw(c, '80E80000')).toBe('6985');
    expect(c.snapshot()).toEqual(before);

    const garbage = Buffer.alloc(600, 0x41);
    garbage.writeUInt32BE(0x30820254, 0);
    writeCertificate(c, garbage);
    expect(sw(c, '80E80000')).toBe('6985');

    writeCertificate(c, await testCertificate(publicKeyFromModulus(modulus), 'right-key'));
    ok(c, '80E80000');
  });

  it('starts a new staged certificate on a write at offset 0, so a rewrite leaves no old tail', async () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    ok(c, selectEf('000A'), `80D60000FF${'77'.repeat(255)}`, `80D600FFFF${'77'.repeat(255)}`, `80D601FEFF${'77'.repeat(255)}`);
    const reissued = await testCertificate(testKeys().authentication, 'auth-reissued');
    writeCertificate(c, reissued);
    expect(Buffer.from(c.snapshot().jpki?.staged?.authCertificate ?? '', 'base64')).toEqual(Buffer.from(reissued));
  });

  it('answers 6700 to a write past 4,096 bytes, and 6985 to a write with no certificate EF current', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    expect(sw(c, '80D6000002AAAA')).toBe('6985');
    ok(c, selectEf('0006'));
    expect(sw(c, '80D6000002AAAA')).toBe('6985');
    ok(c, selectEf('000A'), '80D60FFF01AA');
    expect(sw(c, '80D60FFF02AAAA')).toBe('6700');
    expect(sw(c, '80D61000 01 AA')).toBe('6700');
  });

  it('discards what is staged', () => {
    const original = testCardImage();
    const c = card(original);
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    ok(c, '8046001700', selectEf('000A'), '80D6000002 3082');
    ok(c, '80E80100');
    expect(sw(c, '8048011700')).toBe('6A82');
    ok(c, '80E80000');
    expect(c.snapshot()).toEqual(original);
  });

  it('leaves the old complete set when power is lost mid-staging, and forgets the proof and the challenge', async () => {
    const original = testCardImage();
    const c = card(original);
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const modulus = send(c, '8046001700').data;
    ok(c, selectEf('000A'));
    writeCertificate(c, (await testCertificate(publicKeyFromModulus(modulus), 'auth-0002')).subarray(0, 300));
    const challenge = send(c, '0084000010').data;
    expect(c.snapshot().jpki?.staged).toBeDefined();

    c.powerDown();
    expect(c.snapshot()).toEqual(original);
    ok(c, selectAp(AID.jpki));
    expect(sw(c, '8048011700')).toBe('6982');
    expect(sw(c, issuerAuthenticateHex(issuerProof(challenge)))).toBe('6985');
    ok(c, verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    expect(signsFor(c, createPublicKey(testKeys().authentication))).toBe(true);
    ok(c, selectEf('000A'));
    expect(readCertificate(c)).toEqual(imageCertificate(original, 'authentication'));
  });

  it('resets a blocked PIN: new value, counter back to the maximum', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), selectEf('0018'));
    for (let i = 0; i < 3; i++) sw(c, verifyPin('0000'));
    proveIssuer(c, 'pin-reset');
    ok(c, `802C0098 04 ${ascii('4321')}`);
    expect(sw(c, '00200098')).toBe('63C3');
    ok(c, verifyPin('4321', '98'));
    expect(c.snapshot().jpki?.authenticationPin).toEqual({ value: '4321', maxTries: 3, triesLeft: 3 });
  });

  it('resets the registry PIN in its own application', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c, 'pin-reset');
    ok(c, selectAp(AID.residentRegistry), `802C009C 04 ${ascii('8642')}`, verifyPin('8642', '9C'));
    expect(c.snapshot().residentRegistry?.pin?.value).toBe('8642');
    expect(c.snapshot().common?.pin?.value).toBe(TEST_PINS.common);
  });

  it('answers 6A80 to a PIN reset with a value that breaks the PIN rule', () => {
    const c = card();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c, 'pin-reset');
    expect(sw(c, `802C0098 05 ${ascii('12345')}`)).toBe('6A80');
    expect(sw(c, `802C009B 06 ${ascii('ABCDEF')}`)).toBe('6A80');
    expect(c.snapshot().jpki?.authenticationPin?.value).toBe(TEST_PINS.authentication);
  });
});

describe('the fault mode nonAtomicCommit', () => {
  const faulty = (image = testCardImage()) => card(image, { faults: { nonAtomicCommit: true } });

  it('makes a generated key current at once and empties its certificate EF, even across power-down', () => {
    const c = faulty();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const modulus = send(c, '8046001700').data;
    expect(send(c, '8048001700').data).toEqual(modulus);
    expect(sw(c, '8048011700')).toBe('6A82');
    ok(c, selectEf('000A'));
    expect(sw(c, '00B0000000')).toBe('6B00');

    c.powerDown();
    ok(c, selectAp(AID.jpki), selectEf('000A'));
    expect(sw(c, '00B0000000')).toBe('6B00');
    expect(c.snapshot().jpki?.authentication).toEqual({ privateKey: expect.stringContaining('PRIVATE KEY') });
    ok(c, verifyPin(TEST_PINS.authentication, '98'), selectEf('0017'));
    expect(signsFor(c, publicKeyFromModulus(modulus))).toBe(true);
  });

  it('recovers by writing the certificate for the current key and committing', async () => {
    const c = faulty();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    const modulus = send(c, '8046001700').data;
    c.powerDown();

    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    expect(send(c, '8048001700').data).toEqual(modulus);
    const certificate = await testCertificate(publicKeyFromModulus(modulus), 'auth-0002');
    ok(c, selectEf('000A'));
    writeCertificate(c, certificate);
    ok(c, '80E80000', selectEf('000A'));
    expect(readCertificate(c)).toEqual(Buffer.from(certificate));
  });

  it('still refuses to commit a certificate that does not carry the current key', async () => {
    const c = faulty();
    ok(c, selectAp(AID.jpki));
    proveIssuer(c);
    ok(c, '8046001700', selectEf('000A'));
    writeCertificate(c, await testCertificate(testKeys().authentication, 'old-key'));
    expect(sw(c, '80E80000')).toBe('6985');
  });
});

describe('snapshot', () => {
  it('is a deep copy: changing it does not change the card', () => {
    const c = card();
    const snapshot = c.snapshot();
    snapshot.jpki!.authenticationPin!.value = '9999';
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'));
  });

  it('copies the image it is given: changing that afterwards does not change the card', () => {
    const image = testCardImage();
    const c = card(image);
    image.jpki!.authenticationPin!.value = '9999';
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.authentication, '98'));
  });

  it('holds persistent state only: a card made from a snapshot starts with nothing verified', () => {
    const c = card();
    ok(c, selectAp(AID.jpki), verifyPin(TEST_PINS.signature, '9B'));
    expect(sw(c, verifyPin('WRONG1', '98'))).toBe('63C2');
    const again = card(c.snapshot());
    ok(again, selectAp(AID.jpki));
    expect(sw(again, '0020009B')).toBe('63C5');
    expect(sw(again, '00200098')).toBe('63C2');
  });

  it('refuses an image that is not a valid CardImage', () => {
    const image = testCardImage();
    image.jpki!.authenticationPin!.triesLeft = 4;
    expect(() => card(image)).toThrow();
  });
});
