import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSimulatedWorld } from '../../main/simulation/world';

export interface SimulationTemplate {
  /** A copy of the template's simulation folder at `target`: its own J-LIS records from here on. */
  copyTo(target: string): void;
  /** Removes the template. */
  remove(): void;
}

/**
 * A simulated world made once (its CA and an empty J-LIS database: about
 * two seconds of RSA key generation and a new PGlite data directory), then
 * copied for each scenario or web host, so each still has records of its
 * own without paying for them again.
 */
export async function makeSimulationTemplate(): Promise<SimulationTemplate> {
  const folder = mkdtempSync(join(tmpdir(), 'myna-kiosk-sim-template-'));
  const simDir = join(folder, 'sim');
  try {
    const made = await openSimulatedWorld({ terminalId: 'template', simDir });
    await made.close();
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    copyTo: (target) => cpSync(simDir, target, { recursive: true }),
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}
