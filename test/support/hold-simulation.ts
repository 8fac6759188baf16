import { afterAll, beforeAll } from 'vitest';
import { SimulatedJlis } from '../../main/simulation/jlis/service';

/**
 * Keeps the simulated J-LIS of `dir` open for the whole test file, so that
 * every web host or Electron launch the file starts on that folder shares
 * its open PGlite database instead of opening it again (a second or two
 * each; docs/issuing-service.md, "The database").
 */
export function holdSimulatedJlis(dir: string): void {
  let held: SimulatedJlis | undefined;
  beforeAll(async () => {
    held = await SimulatedJlis.open(dir);
  }, 60_000);
  afterAll(async () => {
    await held?.close();
  });
}
