import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { IssuanceGateway, IssuerProofRequest, PossessionProof, RenewalRequest } from '../../main/issuance/gateway';
import { possessionMessage } from '../../main/issuance/possession';
import type { CardImage } from '../../main/simulation/card/card-image';
import { referenceHash, verifyIssuerProof } from '../../main/simulation/issuer-proof';
import type { IssuerPurpose } from '../../main/domain/issuer-purpose';

/**
 * What a card does for the issuing service's proofs, done with the card
 * image's keys directly: tests of the service that need a real proof (or a
 * wrong one, on purpose) without running the card's APDUs.
 */

/** A renewal request as the kiosk makes it, before the card's proof of possession. */
export type UnprovenRequest = Omit<RenewalRequest, 'possession'>;

/** The keys a card holds now (what signs a proof of possession). */
export interface CardKeys {
  authentication: KeyObject;
  signature?: KeyObject;
}

export function cardKeysOf(image: CardImage): CardKeys {
  const key = (slot: 'authentication' | 'signature') => {
    const pem = image.jpki?.[slot].privateKey;
    return pem ? createPrivateKey(pem) : undefined;
  };
  const authentication = key('authentication');
  if (!authentication) throw new Error('the card image has no authentication key');
  const signature = key('signature');
  return { authentication, ...(signature ? { signature } : {}) };
}

/** Signs a possession challenge as the card would (over the request's new keys); `terminalId` may be forged on purpose. */
export function signPossession(
  challenge: { renewalId: string; terminalId: string; nonce: Uint8Array },
  publicKeys: RenewalRequest['publicKeys'],
  keys: CardKeys,
): PossessionProof {
  const by = (slot: 'authentication' | 'signature', key: KeyObject) =>
    new Uint8Array(sign('sha256', possessionMessage({ ...challenge, slot, publicKeys }), key));
  return {
    nonce: challenge.nonce,
    authentication: by('authentication', keys.authentication),
    ...(publicKeys.signature && keys.signature ? { signature: by('signature', keys.signature) } : {}),
  };
}

/** The request with a proof over a fresh challenge from `gateway`. */
export async function proven(gateway: IssuanceGateway, unproven: UnprovenRequest, keys: CardKeys): Promise<RenewalRequest> {
  const challenge = await gateway.possessionChallenge(unproven.renewalId, unproven.authenticationSerial);
  return { ...unproven, possession: signPossession(challenge, unproven.publicKeys, keys) };
}

/** A proof that proves nothing: a nonce nobody gave, and random bytes for signatures. */
export function noProof(): PossessionProof {
  return { nonce: randomBytes(32), authentication: randomBytes(256) };
}

/** What the kiosk asks for an issuer proof for this card, and whether the card would accept the answer. */
export function issuerProofFor(
  image: CardImage,
  authenticationSerial: string,
  reference: string,
  purpose: IssuerPurpose = 'renewal',
): { request: IssuerProofRequest; cardAccepts: (proof: Uint8Array, onCard?: CardImage) => boolean } {
  const challenge = randomBytes(16);
  const chipSerial = image.chipSerial ?? '';
  return {
    request: { purpose, reference, chipSerial, authenticationSerial, challenge },
    cardAccepts: (proof, onCard = image) =>
      verifyIssuerProof(
        Buffer.from(onCard.issuerTrustAnchor ?? '', 'base64'),
        { challenge, purpose, chipSerial: Buffer.from(onCard.chipSerial ?? '', 'hex'), referenceHash: referenceHash(reference) },
        proof,
      ),
  };
}
