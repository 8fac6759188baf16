import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The address of a `myna-kiosk service` process just spawned (stdout piped):
 * it resolves when the service prints "issuing service at https://…", and
 * rejects when the process exits first or does not listen within
 * `timeoutMs`. Shared by the service benchmark (main/cli/bench-service.ts)
 * and the tests' ServiceProcess (test/support/service-rig.ts).
 */
export function serviceUrlOf(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /issuing service at (https:\/\/\S+)/.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code ?? signal}`));
    });
  });
}
