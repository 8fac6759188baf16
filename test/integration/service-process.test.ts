import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { IssuingServiceClient } from '../../main/issuance/service-client';
import { CLI } from '../support/cli-harness';
import { scratchForTest } from '../support/scratch';

// `npx myna-kiosk service` as a municipality's IT staff run it: init, enrol a
// terminal, start the service in its own process, a terminal's client asks
// it something over mutual TLS, then the service stops on SIGTERM.
describe('the issuing service process', () => {
  it('starts, answers an enrolled terminal, and stops on SIGTERM saying so', async () => {
    const dir = scratchForTest('myna-kiosk-service-process-');
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'service', ...args, '--dir', dir], { encoding: 'utf8' });
    expect(cli(['init']).status).toBe(0);
    expect(cli(['enrol-terminal', '--id', 'lobby-01', '--role', 'lobby']).status).toBe(0);

    const service = spawn(
      process.execPath,
      [CLI, 'service', '--dir', dir, '--port', '0', '--dashboard-port', '0', '--sim-dir', join(dir, 'sim')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: service.stdout }).on('line', (line) => {
        const found = /issuing service at (https:\/\/\S+)/.exec(line);
        if (found) resolve(found[1]!);
      });
      service.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
    });
    const terminal = join(dir, 'terminals', 'lobby-01');
    const client = new IssuingServiceClient({
      url,
      tls: {
        certificate: readFileSync(join(terminal, 'terminal.pem'), 'utf8'),
        key: readFileSync(join(terminal, 'terminal-key.pem'), 'utf8'),
        ca: readFileSync(join(terminal, 'ca.pem'), 'utf8'),
      },
    });
    try {
      expect(await client.lookupResident('AB12')).toBeUndefined();
    } finally {
      client.close();
    }
    // Its embedded PGlite is its own: a second service on the same simulation folder is refused, naming the first.
    const intruder = spawnSync(
      process.execPath,
      [CLI, 'service', 'run', '--dir', dir, '--port', '0', '--dashboard-port', '0', '--sim-dir', join(dir, 'sim')],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(intruder.status).toBe(1);
    expect(intruder.stderr).toContain(
      `the simulated J-LIS database ${join(dir, 'sim', 'jlis-pg')} is open in process ${service.pid}; point other processes at its service`,
    );
    const output: string[] = [];
    service.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    service.kill('SIGTERM');
    const [code] = (await once(service, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(output.join('')).toContain('issuing service stopped');
    // Stopped, it left its PGlite directory free for the next process.
    expect(existsSync(join(dir, 'sim', 'jlis-pg.lock'))).toBe(false);
  }, 60_000);
});
