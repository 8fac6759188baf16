import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { japanDate } from '../../main/domain/japan-calendar';
import type { IssuedSet, RenewalRequest } from '../../main/issuance/gateway';
import { listPersonas } from '../../main/simulation/personas';
import type { SimulatedJlis } from '../../main/simulation/jlis/service';
import { SCHEMA_VERSION } from '../../main/simulation/jlis/schema';
import type { SimulatedWorld } from '../../main/simulation/world';
import { cardKeysOf, proven, type CardKeys } from './card-proofs';
import { newKey } from './gateway-contract';

/** Two simulated J-LIS on one database: the world's, and a second one (another service process, as far as the database can tell). */
export interface SharedDatabase {
  world: SimulatedWorld;
  second: SimulatedJlis;
  /** Opens one more simulated J-LIS on the same database (to see a refused schema). */
  reopen(): Promise<SimulatedJlis>;
}

const RESIDENTS = 4;
/** The columns of a renewal that the refused rows copy from a real one. */
const COPIED = 'resident_id, authentication_serial, renewed_on, authentication_key, signature_key, terminal_id, route, issued_at';
const CALLS_PER_RENEWAL = 8;

/**
 * The rules that the database holds, whichever database it is (the embedded
 * PGlite in the unit suite, a PostgreSQL server in the integration suite):
 * two services racing one renewal id end with one issuance and one
 * revocation of the old certificate, and a row that would break a rule is
 * refused by a constraint, not by the service's code.
 */
export function jlisDatabaseContract(name: string, shared: () => SharedDatabase): void {
  describe(`the simulated J-LIS database (${name})`, () => {
    const persona = listPersonas().find((candidate) => candidate.id === 'standard-in-window')!;
    const serials: string[] = [];
    /** The keys on the residents' cards: what signs the proofs of possession. */
    const cardKeys: CardKeys[] = [];
    /** The authentication certificates on the residents' cards before the race. */
    const oldCertificates: Uint8Array[] = [];
    let keys: { authentication: Uint8Array; signature: Uint8Array };
    const tag = Math.random().toString(36).slice(2, 8);
    const renewalId = (index: number) => `race-${tag}-${index}`;
    const rivalId = (index: number) => `rival-${tag}-${index}`;
    /** The request with the card's proof over a challenge of `service` (the proof is bound to the renewal id, not the process). */
    const request = (service: SimulatedJlis, index: number, id: string): Promise<RenewalRequest> =>
      proven(
        service,
        { renewalId: id, authenticationSerial: serials[index]!, publicKeys: keys, renewedOn: japanDate(new Date()), route: 'in-person' },
        cardKeys[index]!,
      );
    const count = async (sql: string, params: unknown[]) =>
      (await shared().world.jlis.records.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${sql}`, params))[0]!.n;

    beforeAll(async () => {
      for (let index = 0; index < RESIDENTS; index++) {
        const { image } = await shared().world.freshCard(persona);
        cardKeys.push(cardKeysOf(image));
        const der = Buffer.from(image.jpki!.authentication.certificate!, 'base64');
        oldCertificates.push(new Uint8Array(der));
        serials.push(new X509Certificate(der).serialNumber.toUpperCase());
      }
      keys = { authentication: await newKey(), signature: await newKey() };
    }, 120_000);

    it('two services racing issue on the same renewal ids: one issuance per id, the same certificates for every caller', async () => {
      const { world, second } = shared();
      const services = [world.jlis, second];
      // One proof per renewal id, from alternating services, made before the race.
      const requests: RenewalRequest[][] = [];
      for (let index = 0; index < RESIDENTS; index++) {
        requests.push([
          await request(services[index % 2]!, index, renewalId(index)),
          await request(services[(index + 1) % 2]!, index, rivalId(index)),
        ]);
      }
      const calls: Promise<IssuedSet>[] = [];
      for (let index = 0; index < RESIDENTS; index++) {
        const [mine, rival] = requests[index]!;
        for (let call = 0; call < CALLS_PER_RENEWAL; call++) calls.push(services[call % 2]!.issue(mine!));
        // A rival renewal of the same certificate under another id, from the other service.
        calls.push(services[index % 2]!.issue(rival!));
      }
      const answers = await Promise.all(calls);
      for (let index = 0; index < RESIDENTS; index++) {
        const mine = answers.filter((answer) => answer.renewalId === renewalId(index));
        expect(mine).toHaveLength(CALLS_PER_RENEWAL);
        expect(new Set(mine.map((answer) => answer.authentication.serialNumber)).size).toBe(1);
        expect(new Set(mine.map((answer) => answer.signature?.serialNumber)).size).toBe(1);
      }
      const issues = await world.jlis.issuesPerRenewal();
      for (let index = 0; index < RESIDENTS; index++) {
        expect(issues.get(renewalId(index))).toBe(1);
        expect(issues.get(rivalId(index))).toBe(1);
      }
      // What one service issued, the other answers.
      expect((await second.issuedFor(renewalId(0)))?.authentication.serialNumber).toBe(
        (await world.jlis.issuedFor(renewalId(0)))?.authentication.serialNumber,
      );
    }, 120_000);

    it('two services racing confirmWritten: each old certificate is revoked once, by one renewal; the rival is voided', async () => {
      const { world, second } = shared();
      const services = [world.jlis, second];
      const calls: Promise<string>[] = [];
      const outcome = (id: string, call: Promise<void>) =>
        call.then(
          () => `${id}:confirmed`,
          (error: { failure?: string }) => `${id}:${error.failure ?? String(error)}`,
        );
      for (let index = 0; index < RESIDENTS; index++) {
        for (let call = 0; call < CALLS_PER_RENEWAL; call++) {
          calls.push(outcome(renewalId(index), services[call % 2]!.confirmWritten(renewalId(index))));
        }
        calls.push(outcome(rivalId(index), services[(index + 1) % 2]!.confirmWritten(rivalId(index))));
      }
      const outcomes = await Promise.all(calls);
      for (let index = 0; index < RESIDENTS; index++) {
        const old = serials[index]!;
        // Exactly one of the two renewals replaced the old certificate; every confirmation of it succeeded.
        const winners = [renewalId(index), rivalId(index)].filter((id) => outcomes.includes(`${id}:confirmed`));
        expect(winners, `resident ${index}: ${outcomes.filter((line) => line.endsWith(String(index))).join(', ')}`).toHaveLength(1);
        const [winner] = winners as [string];
        const loser = winner === renewalId(index) ? rivalId(index) : renewalId(index);
        expect(outcomes.filter((line) => line.startsWith(`${loser}:`)).every((line) => line === `${loser}:refused`)).toBe(true);
        expect(await count('confirmations WHERE replaces_serial = $1', [old])).toBe(1);
        expect(await count("revocations WHERE ca = 'authentication' AND serial = $1 AND reason = 'renewed'", [old])).toBe(1);
        expect(await count('revocations WHERE serial = $1', [old])).toBe(1);
        // The winner's set is current; the loser's was voided and its certificates revoked.
        const current = (await second.lookupResident(old))!.authenticationSerial;
        expect(current).toBe((await world.jlis.issuedFor(winner))!.authentication.serialNumber);
        expect(await world.jlis.issuedFor(loser)).toBeUndefined();
        expect(await count('renewals WHERE renewal_id = $1 AND voided_at IS NOT NULL', [loser])).toBe(1);
        expect(await count("revocations WHERE renewal_id = $1 AND reason = 'unspecified'", [loser])).toBe(2);
      }
      // The CA's memory of the other service follows the register: the old certificate reads revoked there too.
      for (const der of oldCertificates) expect(await second.certificateStatus(der)).toBe('revoked');
    }, 120_000);

    it('refuses, by a constraint, a row that would break a rule', async () => {
      const { world } = shared();
      const records = world.jlis.records;
      const refused = async (sql: string, params: unknown[], constraint: string) => {
        const error = await records.query(sql, params).then(
          () => undefined,
          (reason: unknown) => reason as { code?: string; message?: string },
        );
        expect(error, `${constraint} should refuse: ${sql}`).toBeDefined();
        expect(error!.code).toBe('23505');
        expect(error!.message).toContain(constraint);
      };
      const id = renewalId(1);
      // A second issuance under the renewal id whose issuance stands (the winner of the race above).
      await refused(
        `INSERT INTO renewals (renewal_id, generation, ${COPIED})
         SELECT renewal_id, generation + 1, ${COPIED}
         FROM renewals WHERE authentication_serial = $1 AND voided_at IS NULL`,
        [serials[1]],
        'renewals_one_active',
      );
      // The same generation twice.
      await refused(
        `INSERT INTO renewals (renewal_id, generation, ${COPIED}, voided_at)
         SELECT renewal_id, generation, ${COPIED}, issued_at
         FROM renewals WHERE renewal_id = $1`,
        [id],
        'renewals_pkey',
      );
      // The old certificate revoked a second time.
      await refused(
        `INSERT INTO revocations (ca, serial, reason, revoked_at) VALUES ('authentication', $1, 'unspecified', '2026-01-01T00:00:00Z')`,
        [serials[1]],
        'revocations_pkey',
      );
      // A renewal confirmed twice.
      await refused(
        `INSERT INTO confirmations (renewal_id, generation, replaces_serial, confirmed_at)
         SELECT renewal_id, generation, 'another-serial', confirmed_at FROM confirmations WHERE replaces_serial = $1`,
        [serials[1]],
        'confirmations_pkey',
      );
      // One old certificate replaced by a second renewal (the voided rival's generation, confirmed after all).
      await refused(
        `INSERT INTO confirmations (renewal_id, generation, replaces_serial, confirmed_at)
         SELECT r.renewal_id, r.generation, r.authentication_serial, r.issued_at FROM renewals r
         WHERE r.authentication_serial = $1 AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.renewal_id = r.renewal_id)`,
        [serials[1]],
        'confirmations_replaces_once',
      );
      // A serial issued twice by one CA: a (voided) renewal of its own that claims renewal 1's certificate.
      const duplicate = `duplicate-${tag}`;
      await records.query(
        `INSERT INTO renewals (renewal_id, generation, ${COPIED}, voided_at)
         SELECT $2, 1, ${COPIED}, issued_at
         FROM renewals WHERE renewal_id = $1`,
        [id, duplicate],
      );
      await refused(
        `INSERT INTO issued_certificates (renewal_id, generation, slot, serial, der, not_after)
         SELECT $2, 1, slot, serial, der, not_after FROM issued_certificates WHERE renewal_id = $1 AND slot = 'authentication'`,
        [id, duplicate],
        'issued_certificates_serial_once',
      );
      // Nothing was left behind by the refusals.
      expect((await world.jlis.issuesPerRenewal()).get(id)).toBe(1);
    });

    it('records its schema version and refuses a database written by a newer version', async () => {
      const { world, reopen } = shared();
      const records = world.jlis.records;
      const versions = await records.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1));
      await records.query(`INSERT INTO schema_migrations (version, description) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]);
      try {
        await expect(reopen()).rejects.toThrow(`was written by a newer version (schema ${SCHEMA_VERSION + 1} > ${SCHEMA_VERSION})`);
      } finally {
        await records.query('DELETE FROM schema_migrations WHERE version = $1', [SCHEMA_VERSION + 1]);
      }
      const again = await reopen();
      await again.close();
    });
  });
}
