import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the simulated J-LIS keeps its CA and the generated card material, so
 * the virtual card, the kiosk and the tools all trust the same simulated
 * authority. `$MYNA_KIOSK_SIM_DIR`, else the user's cache folder.
 */
export const SIM_DIR_ENV = 'MYNA_KIOSK_SIM_DIR';

export function simulationDir(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env[SIM_DIR_ENV]) return process.env[SIM_DIR_ENV];
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'myna-kiosk', 'simulated-jlis');
}
