import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildCardImage } from './build-card-image';
import { cardImageSchema, type CardImage } from './card-image';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../personas';
import { SimulatedCa } from '../jlis/ca';
import { simulationDir } from '../simulation-dir';
import type { VirtualCard } from '../../card/virtual-reader';
import type { VirtualMyNumberCard } from './virtual-my-number-card';
import { describeIssues, readJsonFile } from '../../base/validation';

export async function openSimulatedCa(dir?: string): Promise<SimulatedCa> {
  return SimulatedCa.openOrCreate(join(simulationDir(dir), 'ca'));
}

export interface VirtualCardSource {
  persona: ResolvedPersona;
  image: CardImage;
  /** The card came from its saved state (it has been used before), not fresh from the persona. */
  fromState: boolean;
}

/**
 * The card image for a persona: from its state file when one was saved
 * (counters, new keys and certificates as the card last had them), else
 * freshly built from the persona by the simulated CA.
 */
export async function cardImageForPersona(
  nameOrPath: string,
  options: { simDir?: string; statePath?: string; today?: string } = {},
): Promise<VirtualCardSource> {
  const persona = resolvePersona(loadPersona(nameOrPath), options.today);
  if (options.statePath && existsSync(options.statePath)) {
    return { persona, image: readCardState(options.statePath), fromState: true };
  }
  const ca = await openSimulatedCa(options.simDir);
  const image = await buildCardImage(persona, ca, { keyCache: join(simulationDir(options.simDir), 'cards') });
  return { persona, image, fromState: false };
}

export function readCardState(path: string): CardImage {
  const parsed = cardImageSchema.safeParse(readJsonFile(path, (message) => new Error(`card state ${message}`)));
  if (!parsed.success) throw new Error(`card state ${path} is invalid — ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Written beside and renamed into place, so a crash never leaves half a card. */
export function writeCardState(path: string, image: CardImage): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(image, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, path);
}

/**
 * The card, writing its state to `path` after every command that changed it,
 * so a killed process (a power cut in a drill) loses nothing the card had.
 */
export function persistedCard(card: VirtualMyNumberCard, path: string): VirtualCard {
  let saved = JSON.stringify(card.snapshot());
  writeCardState(path, card.snapshot());
  return {
    atr: card.atr,
    powerDown: () => card.powerDown(),
    transmit(command: Uint8Array): Uint8Array {
      const answer = card.transmit(command);
      const now = card.snapshot();
      const text = JSON.stringify(now);
      if (text !== saved) {
        writeCardState(path, now);
        saved = text;
      }
      return answer;
    },
  };
}
