import type { CardStatusReport } from '../../main/cli/card-status';
import type { PinStatus } from '../../main/card/jpki-client';
import type { ResolvedPersona } from '../../main/simulation/personas';

/**
 * What `card status` must report for a persona, derived from the persona
 * file alone — so a test compares the card stack's reading with the
 * persona's own description, not with another reading of the card.
 */
export function expectedCardStatus(persona: ResolvedPersona): Omit<
  CardStatusReport,
  'reader' | 'extendedLength' | 'apdus' | 'authenticationCertificate'
> & {
  authenticationExpiresOn: string | null;
} {
  const pin = (value: { triesLeft: number } | undefined): PinStatus =>
    value === undefined
      ? { state: 'absent' }
      : value.triesLeft === 0
        ? { state: 'blocked' }
        : { state: 'available', triesLeft: value.triesLeft };
  if (persona.card.kind === 'not-my-number') {
    return {
      kind: 'not-my-number',
      tokenLabel: null,
      signatureCertificatePresent: false,
      authenticationExpiresOn: null,
      pins: { authentication: { state: 'absent' }, signature: { state: 'absent' }, registry: { state: 'absent' } },
    };
  }
  const certificates = persona.certificates!;
  const authentication = certificates.authentication;
  return {
    kind: persona.card.kind,
    tokenLabel: persona.card.kind === 'juki' ? 'JPKIAPICCTOKEN' : 'JPKIAPICCTOKEN2',
    // A revoked signature certificate stays on the card; only "absent" means none.
    signatureCertificatePresent: certificates.signature.state !== 'absent',
    authenticationExpiresOn: authentication.state === 'absent' ? null : (authentication.expires ?? null),
    pins: {
      authentication: pin(persona.pins?.authentication),
      signature: pin(persona.pins?.signature),
      registry: pin(persona.pins?.registry),
    },
  };
}

export function comparableStatus(report: CardStatusReport) {
  return {
    kind: report.kind,
    tokenLabel: report.tokenLabel,
    signatureCertificatePresent: report.signatureCertificatePresent,
    authenticationExpiresOn: report.authenticationCertificate?.expiresOn ?? null,
    pins: report.pins,
  };
}
