import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCardStatus } from '../../main/cli/card-status';
import { VirtualReader } from '../../main/card/virtual-reader';
import { buildCardImage } from '../../main/simulation/card/build-card-image';
import { listPersonas, resolvePersona } from '../../main/simulation/personas';
import { SimulatedCa } from '../../main/simulation/jlis/ca';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { comparableStatus, expectedCardStatus } from '../support/persona-expectations';
import { scratchForFile } from '../support/scratch';

let ca: SimulatedCa;
const cache = scratchForFile('myna-kiosk-status-');
beforeAll(async () => {
  ca = await SimulatedCa.openOrCreate(join(cache, 'ca'));
}, 60_000);

describe('card status of every persona, in process', () => {
  it.each(listPersonas().map((persona) => [persona.id, persona] as const))(
    '%s',
    async (_id, persona) => {
      const resolved = resolvePersona(persona);
      const card = new VirtualMyNumberCard(await buildCardImage(resolved, ca, { keyCache: join(cache, 'cards') }));
      const reader = new VirtualReader();
      reader.insert(card);
      const before = JSON.stringify(card.snapshot());
      const report = await readCardStatus(reader, { timeoutMs: 1000 });
      expect(comparableStatus(report)).toEqual(expectedCardStatus(resolved));
      // No try spent, nothing written.
      expect(JSON.stringify(card.snapshot())).toBe(before);
      expect(report.apdus).toBeLessThanOrEqual(10);
    },
    30_000,
  );
});
