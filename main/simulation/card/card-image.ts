import { z } from 'zod';

/**
 * Everything the virtual My Number Card holds, as plain JSON: built from a
 * persona (personas.ts + jlis/ca.ts), run by the emulator
 * (virtual-my-number-card.ts), and written back to a state file when the
 * virtual-card CLI is given `--state`. Binary values are base64; private keys
 * are PKCS#8 PEM. A card image is test data for a simulated card — never a
 * real resident's.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const pem = z.string().startsWith('-----BEGIN PRIVATE KEY-----');

export const pinStateSchema = z
  .object({
    value: z.string(),
    maxTries: z.number().int().min(1).max(15),
    triesLeft: z.number().int().min(0).max(15),
  })
  .strict()
  .refine((pin) => pin.triesLeft <= pin.maxTries, { message: 'triesLeft cannot exceed maxTries' });
export type PinState = z.infer<typeof pinStateSchema>;

/** One key slot of the JPKI AP: the key in use, and the certificate EF that goes with it. */
export const keySlotSchema = z
  .object({
    privateKey: pem.optional(),
    /** DER; absent = the EF is empty (no certificate, e.g. under 15 for the signature slot). */
    certificate: base64.optional(),
  })
  .strict();
export type KeySlot = z.infer<typeof keySlotSchema>;

/** What the issuer channel has staged and not yet committed (docs/card-protocol.md, issuer channel). */
export const stagedSetSchema = z
  .object({
    authKey: pem.optional(),
    signKey: pem.optional(),
    authCertificate: base64.optional(),
    signCertificate: base64.optional(),
  })
  .strict();

export const CARD_KINDS = ['my-number', 'face-auth', 'juki', 'not-my-number'] as const;
export const cardKindSchema = z.enum(CARD_KINDS);
export type CardKind = z.infer<typeof cardKindSchema>;

export const cardImageSchema = z
  .object({
    version: z.literal(1),
    kind: cardKindSchema,
    /** Hex, e.g. 3BE000FF8131FE4514 (the contact ATR of card.md). */
    atr: z.string().regex(/^([0-9A-Fa-f]{2})+$/),
    /** Absent on a card without the JPKI AP (not a My Number card). */
    jpki: z
      .object({
        /** The 32-byte token label's text, e.g. JPKIAPICCTOKEN2 (space-padded on the card). */
        tokenLabel: z.string().max(32),
        /** Hex of the 3-byte availability file 0008. */
        availability: z.string().regex(/^[0-9A-Fa-f]{6}$/),
        authentication: keySlotSchema,
        signature: keySlotSchema,
        authenticationCa: base64,
        signatureCa: base64,
        /** Absent on the face-authentication card: it has no PIN (the assumption shared with the client). */
        authenticationPin: pinStateSchema.optional(),
        signaturePassword: pinStateSchema.optional(),
        staged: stagedSetSchema.optional(),
      })
      .strict()
      .optional(),
    /** 住基AP: the registry PIN at EF 001C. */
    residentRegistry: z.object({ pin: pinStateSchema.optional() }).strict().optional(),
    /** 共通AP: a second copy of the registry PIN with its own counter. */
    common: z.object({ pin: pinStateSchema.optional() }).strict().optional(),
    /** 券面事項入力補助AP: its PIN, the My Number file and the basic-4 file. */
    cardInfo: z
      .object({
        pin: pinStateSchema.optional(),
        myNumber: z.string().regex(/^\d{12}$/),
        name: z.string(),
        address: z.string(),
        dateOfBirth: z.string().regex(/^\d{8}$/),
        sex: z.enum(['1', '2', '3', '9']),
      })
      .strict()
      .optional(),
    /** 券面AP: present on My Number cards; its contents are not used by the kiosk. */
    cardFace: z.boolean(),
    /** SPKI DER of the simulated issuing authority's ECDSA P-256 key, trusted for the issuer channel. */
    issuerTrustAnchor: base64.optional(),
    /** The chip's serial (8 bytes, hex), set at manufacture: the card an issuer proof is bound to. */
    chipSerial: z
      .string()
      .regex(/^[0-9A-F]{16}$/)
      .optional(),
  })
  .strict();
export type CardImage = z.infer<typeof cardImageSchema>;
