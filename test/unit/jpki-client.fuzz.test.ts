import { describe, expect, it } from 'vitest';
import { JpkiClient } from '../../main/card/jpki-client';
import { PinFormatError } from '../../main/domain/pin-rules';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { CardError } from '../../main/card/status-words';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { TEST_PINS, testCardImage } from './helpers/test-card-image';

/**
 * Fuzz: at least 100,000 card answers, most of them wrong in some way —
 * random bytes, truncated, wrong status words, DER headers that lie about
 * the length, huge answers, a card that vanishes — fed to the JPKI client.
 * Whatever the card says, the client must end every operation with a result
 * or a typed error: no crash, no hang, no unhandled rejection.
 */

const ANSWERS = Number(process.env.FUZZ_ANSWERS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);

/** mulberry32: a small seeded PRNG, so a failure can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pool = Uint8Array.from({ length: 80_000 }, () => int(256));
  // Long random runs are cut from a seeded pool: drawing 70,000 bytes one by one would dominate the run.
  const bytes = (length: number) => {
    if (length <= 64) return Uint8Array.from({ length }, () => int(256));
    const start = int(pool.length - length + 1);
    return pool.slice(start, start + length);
  };
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, bytes, pick };
}

const STATUS_WORDS = [
  0x9000, 0x63c0, 0x63c1, 0x63c2, 0x63c5, 0x63cf, 0x6984, 0x6982, 0x6a82, 0x6a86, 0x6b00, 0x6700, 0x6985, 0x6981, 0x6d00, 0x6e00, 0x6f00,
  0x6100, 0x6c10,
];
const LYING_LENGTHS = [
  [0x00, 0x00],
  [0xff, 0xff],
  [0x7f, 0xff],
  [0x00, 0x10],
  [0x01, 0x00],
  [0x80, 0x00],
  [0x10, 0x00],
];

const OK = Uint8Array.of(0x90, 0x00);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function mutate(answer: Uint8Array, random: ReturnType<typeof prng>): Uint8Array | 'removed' {
  const roll = random.int(100);
  if (roll < 30) return answer; // the card's real answer
  if (roll < 40) return random.bytes(random.int(9)); // noise, often shorter than a status word
  if (roll < 52) return answer.slice(0, random.int(answer.length + 1)); // truncated
  if (roll < 64) {
    const changed = answer.slice();
    const sw = random.pick(STATUS_WORDS);
    if (changed.length >= 2) {
      changed[changed.length - 2] = sw >> 8;
      changed[changed.length - 1] = sw & 0xff;
    }
    return changed;
  }
  if (roll < 74) {
    const changed = answer.slice();
    for (let flips = 1 + random.int(4); flips > 0 && changed.length > 0; flips--) changed[random.int(changed.length)] = random.int(256);
    return changed;
  }
  if (roll < 84) {
    // A DER header that lies about the length.
    const changed = answer.slice();
    if (changed.length >= 6 && changed[0] === 0x30) {
      const [hi, lo] = random.pick(LYING_LENGTHS);
      changed[1] = random.pick([0x82, 0x81, 0x83, 0x84, 0x80, 0x7f]);
      changed[2] = hi!;
      changed[3] = lo!;
    } else {
      return concat(Uint8Array.of(0x30, 0x82, ...random.pick(LYING_LENGTHS)), random.bytes(random.int(300)), OK);
    }
    return changed;
  }
  if (roll < 92) {
    return concat(random.bytes(random.int(300)), answer); // garbage before the real answer
  }
  if (roll < 97) return concat(random.bytes(random.pick([256, 1024, 65_536, 70_000])), OK); // huge
  return 'removed';
}

describe('the JPKI client under a lying card', () => {
  it(
    `ends every operation with a result or a typed error over ${ANSWERS.toLocaleString('en')} fuzzed answers`,
    { timeout: 300_000 },
    async () => {
      const random = prng(SEED);
      const image = testCardImage('my-number');
      let answers = 0;
      let operations = 0;
      const untyped: string[] = [];
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);

      try {
        while (answers < ANSWERS) {
          const card = new VirtualMyNumberCard(image);
          const connection: CardConnection = {
            reader: 'fuzz',
            atr: card.atr,
            async transmit(command) {
              answers++;
              const answer = mutate(card.transmit(command), random);
              if (answer === 'removed') throw new ReaderError('card-removed', 'the card was removed');
              return answer;
            },
            async disconnect() {},
          };
          const client = new JpkiClient(connection, { extendedLength: random.next() < 0.5 ? 'auto' : 'never' });
          const operation = random.pick([
            () => client.readStatus(),
            () => client.readCertificate(random.pick(['authentication', 'authenticationCa', 'signature', 'signatureCa'] as const)),
            () => client.pinStatus(random.pick(['authentication', 'signature', 'registry', 'cardInfo'] as const)),
            () => client.verify('authentication', random.pick([TEST_PINS.authentication, '0000'])),
            () => client.verify('signature', random.pick([TEST_PINS.signature, 'WRONG9'])),
            () => client.changePin('authentication', '4321'),
            () => (random.next() < 0.2 ? client.sign('authentication', random.bytes(51)) : client.readTokenLabel()),
            () => client.readSignatureCertificatePresent(),
          ]);
          operations++;
          let timer: NodeJS.Timeout | undefined;
          const hang = new Promise<'hang'>((resolve) => {
            timer = setTimeout(() => resolve('hang'), 5_000);
          });
          try {
            const outcome = await Promise.race([operation(), hang]);
            if (outcome === 'hang') untyped.push(`operation ${operations} did not finish in 5 s`);
          } catch (error) {
            if (!(error instanceof CardError || error instanceof ReaderError || error instanceof PinFormatError)) {
              untyped.push(
                `${(error as Error)?.name}: ${(error as Error)?.message}\n${(error as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`,
              );
            }
          } finally {
            clearTimeout(timer);
          }
          if (untyped.length >= 5) break;
        }
        // Let any stray promise settle before looking for unhandled rejections.
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }

      expect(untyped, `seed ${SEED}`).toEqual([]);
      expect(unhandled, `seed ${SEED}`).toEqual([]);
      expect(answers).toBeGreaterThanOrEqual(ANSWERS);
    },
  );
});
