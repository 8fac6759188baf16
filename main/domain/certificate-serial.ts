/**
 * Certificate serials as the kiosk, its records and the issuing service
 * compare them: hex, upper case, without leading zero bytes (DER adds a 00
 * before a serial whose first bit is set; the number is the same).
 */
export function normaliseSerial(serial: string): string {
  return serial.toUpperCase().replace(/^(00)+(?=.)/, '');
}
