import { buildCardImage } from './card/build-card-image';
import type { CardImage } from './card/card-image';
import { resolvePersona, type Persona, type ResolvedPersona } from './personas';
import type { SimulatedJlis } from './jlis/service';

/**
 * A new card for a persona, as of a Japan date: new keys and certificates
 * from the simulated J-LIS's CA, and the resident enrolled at that J-LIS, so
 * the card can be renewed there. The simulated world's `freshCard` and the
 * issuing service's card factory (`service run --card-factory`) both make
 * cards here, so a card made for a remote kiosk is the same card.
 */
export async function makeEnrolledCard(
  jlis: SimulatedJlis,
  persona: Persona,
  on: string,
): Promise<{ persona: ResolvedPersona; image: CardImage }> {
  const resolved = resolvePersona(persona, on);
  const image = await buildCardImage(resolved, jlis.ca);
  // A card without an authentication certificate identifies nobody: the service has nothing to enrol.
  if (image.jpki?.authentication.certificate) jlis.enrol(resolved, image);
  return { persona: resolved, image };
}
