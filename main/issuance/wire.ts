import { z } from 'zod';
import { ISSUER_PURPOSES } from '../domain/issuer-purpose';
import { RENEWAL_ROUTES } from '../../preload/vocabulary';
import type { IssuedCertificate, IssuedSet } from './gateway';

/**
 * The issuing service's API on the wire (docs/issuing-service.md): the zod
 * schemas both sides validate with — the service every request, the kiosk's
 * client every answer — and from which docs/issuing-service.openapi.json is
 * generated. Bytes travel as base64, instants as ISO 8601. Every object is
 * strict: an unknown field is refused, never ignored.
 */

export const API_VERSION = 'v1';

/** Bytes as standard base64, bounded (a certificate is about 1–2 kB). */
const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'base64');

const serialSchema = z.string().regex(/^[0-9A-Fa-f]{1,40}$/, 'a certificate serial: 1–40 hex digits');
const japanDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/** A renewal id: the idempotency key of every call that changes something. */
export const renewalIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a renewal id: 1–200 of letters, digits and . _ : -');
export const renewalParamsSchema = z.strictObject({ renewalId: renewalIdSchema });

export const lookupRequestSchema = z.strictObject({ authenticationSerial: serialSchema });

const signatureHolderSchema = z.strictObject({
  name: z.string().max(200),
  nameAlternate: z.string().max(200).optional(),
  address: z.string().max(400),
  addressAlternate: z.string().max(400).optional(),
  prefecture: z.string().max(50),
  municipality: z.string().max(100),
  sex: z.enum(['1', '2', '9']),
});

export const residentSchema = z.strictObject({
  authenticationSerial: serialSchema,
  dateOfBirth: japanDateSchema,
  cardExpires: japanDateSchema,
  periodOfStayEnds: japanDateSchema.optional(),
  adultWard: z.boolean(),
  signatureHolder: signatureHolderSchema.optional(),
});
export const lookupResponseSchema = z.strictObject({ resident: residentSchema.nullable() });

/** A staff member's id as the counter's sign-in takes it (preload/contract.ts): never a name. */
export const staffIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a staff id: 1–32 of letters, digits, _ and -');

/** The counter's identity check a PIN reset carries: who, when, how many documents; never which documents or their numbers. */
export const identityCheckSchema = z.strictObject({
  staffId: staffIdSchema,
  checkedAt: z.iso.datetime(),
  documentsA: z.number().int().min(0).max(10),
  documentsB: z.number().int().min(0).max(10),
  oralQuestioning: z.boolean(),
});

export const issuerProofRequestSchema = z.strictObject({
  purpose: z.enum(ISSUER_PURPOSES),
  chipSerial: z.string().regex(/^[0-9A-F]{16}$/, 'a chip serial: 16 upper-case hex digits'),
  authenticationSerial: serialSchema,
  challenge: base64(64),
  identityCheck: identityCheckSchema.optional(),
});
export const issuerProofResponseSchema = z.strictObject({ proof: base64(256) });

export const possessionChallengeRequestSchema = z.strictObject({ authenticationSerial: serialSchema });
export const possessionChallengeResponseSchema = z.strictObject({
  renewalId: renewalIdSchema,
  terminalId: z.string().min(1).max(64),
  nonce: base64(64),
  expiresAt: z.iso.datetime(),
});

export const issueRequestSchema = z.strictObject({
  authenticationSerial: serialSchema,
  publicKeys: z.strictObject({ authentication: base64(1024), signature: base64(1024).optional() }),
  renewedOn: japanDateSchema,
  route: z.enum(RENEWAL_ROUTES),
  possession: z.strictObject({ nonce: base64(64), authentication: base64(512), signature: base64(512).optional() }),
});

const issuedCertificateSchema = z.strictObject({ der: base64(8192), serialNumber: serialSchema, notAfter: z.iso.datetime() });
export const issuedSetSchema = z.strictObject({
  renewalId: renewalIdSchema,
  authentication: issuedCertificateSchema,
  signature: issuedCertificateSchema.optional(),
});
export const issuedForResponseSchema = z.strictObject({ issued: issuedSetSchema.nullable() });

export const statusRequestSchema = z.strictObject({ certificate: base64(8192) });
export const statusResponseSchema = z.strictObject({ status: z.enum(['valid', 'revoked', 'expired', 'unknown']) });

export const emptySchema = z.strictObject({});

/** Simulation only: the card factory of a service started with --card-factory (docs/issuing-service.md). */
export const simulationCardRequestSchema = z.strictObject({
  personaId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a persona id: lower-case letters, digits and -'),
  on: japanDateSchema,
});
/** The card image as the virtual card runs it; the caller validates it against the card image's own schema. */
export const simulationCardResponseSchema = z.strictObject({ image: z.record(z.string(), z.unknown()) });

/** Why the service refused or failed: a code the client maps onto `GatewayFailure`, and a reason for people. */
export const errorResponseSchema = z.strictObject({
  error: z.enum(['invalid-request', 'refused', 'forbidden', 'unknown-terminal', 'not-found', 'server-error']),
  reason: z.string().max(500),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

// Conversions between the gateway's types and the wire.

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export function issuedSetToWire(set: IssuedSet): z.infer<typeof issuedSetSchema> {
  const certificate = (issued: IssuedCertificate) => ({
    der: toBase64(issued.der),
    serialNumber: issued.serialNumber,
    notAfter: issued.notAfter.toISOString(),
  });
  return {
    renewalId: set.renewalId,
    authentication: certificate(set.authentication),
    ...(set.signature ? { signature: certificate(set.signature) } : {}),
  };
}

export function issuedSetFromWire(wire: z.infer<typeof issuedSetSchema>): IssuedSet {
  const certificate = (issued: z.infer<typeof issuedCertificateSchema>): IssuedCertificate => ({
    der: fromBase64(issued.der),
    serialNumber: issued.serialNumber,
    notAfter: new Date(issued.notAfter),
  });
  return {
    renewalId: wire.renewalId,
    authentication: certificate(wire.authentication),
    ...(wire.signature ? { signature: certificate(wire.signature) } : {}),
  };
}
