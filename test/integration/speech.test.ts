import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LANGUAGES, type Language } from '../../preload/contract';
import { localSpeechEngine } from '../../main/kiosk/speech';

/**
 * Spoken guidance through the engines the terminal has installed (Debian's
 * open-jtalk with its dictionary, and espeak-ng; `npm test` installs them):
 * for every language, the keypad's one word and the attract screen's title
 * come back as WAV audio that is long enough to be words and loud enough to
 * be heard. No mock: the real programs run.
 */

const LOCALES = fileURLToPath(new URL('../../renderer/src/locales/', import.meta.url));
const strings = (language: Language) =>
  JSON.parse(readFileSync(`${LOCALES}${language}.json`, 'utf8')) as { keypad: { keySpoken: string }; attract: { title: string } };

interface Pcm {
  seconds: number;
  /** Root mean square of the samples, 0 to 1 of full scale. */
  loudness: number;
}

/** Reads a 16-bit PCM WAV file, whatever its header claims for the data's length (a streamed header may claim too much). */
function pcmOf(wav: Buffer): Pcm {
  expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
  let offset = 12;
  let channels = 1;
  let rate = 0;
  let bits = 0;
  while (offset + 8 <= wav.length) {
    const id = wav.subarray(offset, offset + 4).toString('latin1');
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      channels = wav.readUInt16LE(body + 2);
      rate = wav.readUInt32LE(body + 4);
      bits = wav.readUInt16LE(body + 14);
    }
    if (id === 'data') {
      expect(bits).toBe(16);
      const end = Math.min(wav.length, body + size);
      const count = Math.floor((end - body) / 2);
      let sum = 0;
      for (let i = 0; i < count; i++) sum += (wav.readInt16LE(body + i * 2) / 32768) ** 2;
      return { seconds: count / channels / rate, loudness: Math.sqrt(sum / Math.max(count, 1)) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV file');
}

describe('spoken guidance on this terminal', () => {
  const engine = localSpeechEngine();

  describe.concurrent.each(LANGUAGES)('in %s', (language) => {
    it('says the keypad word and the first screen title out loud', async () => {
      const { keypad, attract } = strings(language);
      for (const text of [keypad.keySpoken, attract.title]) {
        const wav = await engine.synthesize(text, language);
        expect(wav, `no audio for "${text}"`).toBeDefined();
        const pcm = pcmOf(wav!);
        expect(pcm.seconds, `"${text}" lasts`).toBeGreaterThan(0.15);
        // Silence is 0; quiet speech is above a few percent of full scale.
        expect(pcm.loudness, `"${text}" loudness`).toBeGreaterThan(0.02);
      }
    });
  });

  it('says the keypad word the same way every time: the same audio for every key', async () => {
    const word = strings('ja').keypad.keySpoken;
    const first = await engine.synthesize(word, 'ja');
    const again = await engine.synthesize(word, 'ja');
    expect(again?.equals(first!)).toBe(true);
  });

  it("reads plain Japanese's bracketed readings once, not twice", async () => {
    const withReading = await engine.synthesize('暗証番号（あんしょうばんごう）', 'ja-x-easy');
    const plain = await engine.synthesize('暗証番号', 'ja');
    // The same words, so the same length of speech.
    expect(Math.abs(pcmOf(withReading!).seconds - pcmOf(plain!).seconds)).toBeLessThan(0.05);
  });
});
