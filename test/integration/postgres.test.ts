import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/base/log';
import { startPostgres, type PostgresHandle } from '../../main/harness/postgres-sandbox';
import { IssuingServiceClient } from '../../main/issuance/service-client';
import { startEmbeddedService, type EmbeddedService } from '../../main/service/embedded-service';
import { SimulatedJlis } from '../../main/simulation/jlis/service';
import { listPersonas } from '../../main/simulation/personas';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';
import { CLI } from '../support/cli-harness';
import { gatewayContract } from '../support/gateway-contract';
import { jlisDatabaseContract } from '../support/jlis-database-contract';
import { fleetStoreContract } from '../support/fleet-store-contract';
import { openFleetStore } from '../../main/service/fleet-store';

// The simulated J-LIS on a real PostgreSQL server (Debian's, started by the
// harness on its own port): the gateway contract in process and over mutual
// TLS, the rules the database holds with two services racing on one
// database, and two `service run --database` processes sharing it.

const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-postgres-test-'));
const simDir = join(work, 'sim');
let postgres: PostgresHandle;
let url: string;
let world: SimulatedWorld;
let second: SimulatedJlis;
let service: EmbeddedService;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase('jlis');
  world = await openSimulatedWorld({ terminalId: 'postgres-test', simDir, dbPath: join(work, 'kiosk.sqlite'), database: url });
  second = await SimulatedJlis.open(simDir, { database: url });
  service = await startEmbeddedService({ issuer: world.jlis, terminalId: 'postgres-test', role: 'lobby', log: silentLogger });
  console.info(
    `PostgreSQL ${postgres.version}: initdb ${postgres.timings.initdbMs.toFixed(0)} ms, start ${postgres.timings.startMs.toFixed(0)} ms`,
  );
}, 120_000);

afterAll(async () => {
  await service?.close();
  await second?.close();
  await world?.close();
  await postgres?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the simulated J-LIS on PostgreSQL', () => {
  it('keeps its records on the server, named without a password', () => {
    expect(world.jlis.database).toBe(url);
    expect(new URL(url).hostname).toBe('127.0.0.1');
  });
});

gatewayContract(
  'PostgreSQL, in process',
  () => world.jlis,
  () => world,
);
gatewayContract(
  'PostgreSQL, over mutual TLS',
  () => service.gateway,
  () => world,
);
jlisDatabaseContract('PostgreSQL', () => ({ world, second, reopen: () => SimulatedJlis.open(simDir, { database: url }) }));

describe('two service processes on one PostgreSQL database', () => {
  it('both answer for the same records (service run --database)', async () => {
    const dir = join(work, 'service');
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'service', ...args, '--dir', dir], { encoding: 'utf8' });
    expect(cli(['init']).status).toBe(0);
    expect(cli(['enrol-terminal', '--id', 'lobby-01', '--role', 'lobby']).status).toBe(0);
    const terminal = join(dir, 'terminals', 'lobby-01');
    const tls = {
      certificate: readFileSync(join(terminal, 'terminal.pem'), 'utf8'),
      key: readFileSync(join(terminal, 'terminal-key.pem'), 'utf8'),
      ca: readFileSync(join(terminal, 'ca.pem'), 'utf8'),
    };
    // Both with the world's simulation folder (its CA) and the world's database: no PGlite, so no lock between them.
    const processes = await Promise.all(
      ['a', 'b'].map((name) =>
        startService(
          ['service', 'run', '--dir', dir, '--port', '0', '--dashboard-port', '0', '--sim-dir', simDir, '--database', url],
          `service ${name}`,
        ),
      ),
    );
    const clients = processes.map(({ address }) => new IssuingServiceClient({ url: address, tls }));
    try {
      // A resident the in-process world enrolled: both processes know them.
      const { image } = await world.freshCard(listPersonas().find((persona) => persona.id === 'standard-in-window')!);
      const serial = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64')).serialNumber.toUpperCase();
      for (const client of clients) expect((await client.lookupResident(serial))?.authenticationSerial).toBe(serial);
      for (const { output } of processes) expect(output()).toContain(`records in ${url}`);
    } finally {
      for (const client of clients) client.close();
      for (const { child } of processes) child.kill('SIGTERM');
      const codes = await Promise.all(processes.map(({ child }) => once(child, 'exit').then(([code]) => code as number | null)));
      expect(codes).toEqual([0, 0]);
    }
  }, 60_000);
});

async function startService(
  args: string[],
  name: string,
): Promise<{ child: ChildProcessWithoutNullStreams; address: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      const found = /issuing service at (https:\/\/\S+)/.exec(line);
      if (found) resolve(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
  return { child, address, output: () => output };
}

// The fleet's records (docs/fleet.md) on the same server, in a database of their own.
fleetStoreContract('PostgreSQL', async (clock) => openFleetStore({ database: await postgres.createDatabase('fleet'), now: clock }));
