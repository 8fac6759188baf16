import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The addresses of a `myna-kiosk service` process just spawned (stdout
 * piped): it resolves when the service has printed "issuing service at
 * https://…" and "dashboard at https://…", and rejects when the process
 * exits first or does not listen within `timeoutMs`. Shared by the service
 * benchmark (main/cli/bench-service.ts) and the tests' ServiceProcess
 * (test/support/service-rig.ts).
 */
export function serviceAddressesOf(child: ChildProcess, timeoutMs = 30_000): Promise<{ url: string; dashboard: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    let url: string | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      url ??= /issuing service at (https:\/\/\S+)/.exec(line)?.[1];
      const dashboard = /dashboard at (https:\/\/[^/\s]+)/.exec(line)?.[1];
      if (url && dashboard) {
        clearTimeout(timer);
        resolve({ url, dashboard });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code ?? signal}`));
    });
  });
}

/** The terminals' address of a service process just spawned (see serviceAddressesOf). */
export async function serviceUrlOf(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return (await serviceAddressesOf(child, timeoutMs)).url;
}
