import { createHash, generateKeyPair as generateKeyPairCallback, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TOKEN_LABEL } from '../../card/jpki-layout';
import { MAX_TRIES } from '../../domain/pin-rules';
import { cardImageSchema, type CardImage, type KeySlot, type PinState } from './card-image';
import { revocationInstant, type ResolvedPersona } from '../personas';
import { REVOCATION_REASONS, newOpaqueId, type Revocation, type RevocationReason, type SimulatedCa } from '../jlis/ca';
import { type SignatureHolder } from '../../card/jpki-certificate';

/**
 * Turns a resolved persona into the card image the emulator runs: new
 * RSA-2048 key pairs for the card, certificates from the simulated CA,
 * PIN states, the card-info files and the issuer-channel trust anchor.
 *
 * Key generation is the slow part (about 100 ms a key), so a caller may give
 * a cache folder: the whole built card is kept there under a hash of the
 * persona and the CA's fingerprint, and reused as long as neither changes
 * (a persona with relative dates resolves differently each day, so its
 * cache entry lasts a day). A cached card's revocations are recorded in the
 * CA again, so a status query answers the same either way.
 */

const generateKeyPair = promisify(generateKeyPairCallback);

/** Bump when the card layout built here changes, so old cache entries are not reused. */
const CACHE_FORMAT = 2;

/** EF 0008: first byte 8F when a signature certificate is on the card. */
export const AVAILABILITY = { withSignature: '8F0000', withoutSignature: '000000' } as const;

export interface BuildCardImageOptions {
  /** A folder for built cards (created when missing). Without it every build generates new keys. */
  keyCache?: string;
}

interface CacheEntry {
  format: number;
  image: CardImage;
  revocations: Revocation[];
}

export async function buildCardImage(persona: ResolvedPersona, ca: SimulatedCa, options: BuildCardImageOptions = {}): Promise<CardImage> {
  const cachePath = options.keyCache ? join(options.keyCache, `${cacheKey(persona, ca)}.json`) : undefined;
  const cached = cachePath ? readCache(cachePath) : undefined;
  if (cached) {
    for (const revocation of cached.revocations) ca.revoke(revocation, revocation.reason, new Date(revocation.revokedAt));
    return cached.image;
  }
  const revocations: Revocation[] = [];
  const image = await build(persona, ca, revocations);
  if (cachePath && options.keyCache) writeCache(options.keyCache, cachePath, { format: CACHE_FORMAT, image, revocations });
  return image;
}

async function build(persona: ResolvedPersona, ca: SimulatedCa, revocations: Revocation[]): Promise<CardImage> {
  const { kind, atr } = persona.card;
  const base = { version: 1 as const, kind, atr };
  if (kind === 'not-my-number') return { ...base, cardFace: false };

  const { holder, certificates } = persona;
  if (!holder || !certificates) throw new Error(`persona ${persona.id}: a ${kind} card needs holder and certificates`);
  const pins = persona.pins ?? {};

  const authCert = certificates.authentication;
  const signCert = kind === 'face-auth' ? ({ state: 'absent' } as const) : certificates.signature;

  const [authentication, signature] = await Promise.all([
    authCert.state === 'absent'
      ? Promise.resolve<KeySlot>({})
      : issueSlot(async (publicKey) =>
          ca.issueAuthentication({ publicKey, opaqueId: newOpaqueId(), notBefore: authCert.issued, notAfter: authCert.expires }),
        ),
    signCert.state === 'absent'
      ? Promise.resolve<KeySlot>({})
      : issueSlot(async (publicKey) => {
          const place = signCert.issuedTo ?? holder;
          const certificateHolder: SignatureHolder = {
            name: holder.nameAlternate ?? holder.name,
            nameSubstitutes: substituteMask(holder.name, holder.nameAlternate),
            address: place === holder ? (holder.addressAlternate ?? holder.address) : place.address,
            addressSubstitutes: place === holder ? substituteMask(holder.address, holder.addressAlternate) : undefined,
            prefecture: place.prefecture,
            municipality: place.municipality,
            dateOfBirth: holder.dateOfBirth,
            sex: holder.sex,
          };
          return ca.issueSignature({ publicKey, holder: certificateHolder, notBefore: signCert.issued, notAfter: signCert.expires });
        }),
  ]);

  for (const [slot, cert] of [
    [authentication, authCert],
    [signature, signCert],
  ] as const) {
    if (cert.state !== 'revoked' || !slot.certificate) continue;
    const reason: RevocationReason = cert.revokedReason ?? 'unspecified';
    // Revoked at the CA on the Japan date the persona gives; the card keeps the certificate.
    revocations.push(ca.revoke(Buffer.from(slot.certificate, 'base64'), reason, revocationInstant(persona, cert)));
  }

  const pin = (value: { value: string; triesLeft: number } | undefined, maxTries: number): PinState | undefined =>
    value && { value: value.value, maxTries, triesLeft: value.triesLeft };
  const registryPin = pin(pins.registry, MAX_TRIES.registry);
  const myNumberCard = kind === 'my-number' || kind === 'face-auth';

  const image: CardImage = {
    ...base,
    jpki: {
      tokenLabel: kind === 'juki' ? TOKEN_LABEL.jukiCard : TOKEN_LABEL.myNumberCard,
      availability: signature.certificate ? AVAILABILITY.withSignature : AVAILABILITY.withoutSignature,
      authentication,
      signature,
      authenticationCa: ca.authenticationCaDer.toString('base64'),
      signatureCa: ca.signatureCaDer.toString('base64'),
      ...(kind === 'face-auth'
        ? {}
        : {
            authenticationPin: pin(pins.authentication, MAX_TRIES.authentication),
            signaturePassword: pin(pins.signature, MAX_TRIES.signature),
          }),
    },
    // The same value and counter in both copies; the emulator then counts them separately.
    residentRegistry: { pin: registryPin },
    ...(myNumberCard ? { common: { pin: registryPin && { ...registryPin } } } : {}),
    ...(myNumberCard && persona.myNumber
      ? {
          cardInfo: {
            pin: kind === 'face-auth' ? undefined : pin(pins.cardInfo, MAX_TRIES.cardInfo),
            myNumber: persona.myNumber,
            name: holder.name,
            address: holder.address,
            dateOfBirth: holder.dateOfBirth.replaceAll('-', ''),
            sex: String(holder.sex) as '1' | '2' | '9',
          },
        }
      : {}),
    cardFace: myNumberCard,
    // The issuer channel is ours, for My Number Cards; an old 住基カード has none.
    ...(myNumberCard ? { issuerTrustAnchor: ca.issuerTrustAnchorDer.toString('base64') } : {}),
    chipSerial: randomBytes(8).toString('hex').toUpperCase(),
  };
  return cardImageSchema.parse(dropUndefined(image));
}

async function issueSlot(issue: (publicKey: Buffer) => Promise<{ der: Buffer }>): Promise<KeySlot> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const certificate = await issue(publicKey.export({ type: 'spki', format: 'der' }));
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certificate: certificate.der.toString('base64') };
}

/** OID .2/.6: one character per character of the certificate's text, `1` where it differs from the register's. */
function substituteMask(original: string, alternate: string | undefined): string | undefined {
  if (alternate === undefined) return undefined;
  const from = [...original];
  return [...alternate].map((character, index) => (character === from[index] ? '0' : '1')).join('');
}

/** JSON has no undefined; strip it so the image equals its round trip through a state file. */
function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function cacheKey(persona: ResolvedPersona, ca: SimulatedCa): string {
  // `resolvedOn` itself is left out: a persona with absolute dates builds the same card any day.
  const { resolvedOn: _resolvedOn, ...content } = persona;
  return createHash('sha256')
    .update(canonicalJson({ format: CACHE_FORMAT, persona: content, ca: ca.fingerprint }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A missing, stale or damaged entry is a miss: the card is built again and the entry rewritten. */
function readCache(path: string): CacheEntry | undefined {
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheEntry>;
    if (entry.format !== CACHE_FORMAT || !Array.isArray(entry.revocations)) return undefined;
    const image = cardImageSchema.safeParse(entry.image);
    const revocationsValid = entry.revocations.every((revocation) => (REVOCATION_REASONS as readonly string[]).includes(revocation.reason));
    return image.success && revocationsValid ? { format: CACHE_FORMAT, image: image.data, revocations: entry.revocations } : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, path: string, entry: CacheEntry): void {
  mkdirSync(dir, { recursive: true });
  // Private keys of simulated cards only, but still not world-readable; written whole or not at all.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
