import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Language } from '../../preload/contract';

/**
 * Spoken guidance from engines installed on the terminal, so it is heard on
 * an offline Debian kiosk, where a browser's speech synthesis has no voice
 * (docs/experience.md, "Spoken guidance"):
 *
 * - Japanese and plain Japanese: Open JTalk (Debian's `open-jtalk` with its
 *   `open-jtalk-mecab-naist-jdic` dictionary), which reads kanji, with the
 *   HTS voice "Mei" shipped in assets/voice (CC BY 3.0, Nagoya Institute of
 *   Technology; its notice is beside it).
 * - Every other language: eSpeak NG (Debian's `espeak-ng`). It has no
 *   Tagalog voice; Tagalog is read with the Indonesian one, whose spelling
 *   rules are close enough to be understood.
 *
 * The answer is a WAV file's bytes, played by the renderer; undefined when
 * the engine is missing or fails, and the renderer falls back to the
 * platform's own voice. Nothing spoken is logged.
 */
export interface SpeechEngine {
  synthesize(text: string, language: Language): Promise<Buffer | undefined>;
}

/** eSpeak NG's voice for each language it reads (Japanese goes to Open JTalk). */
export const ESPEAK_VOICES: Readonly<Record<Exclude<Language, 'ja' | 'ja-x-easy'>, string>> = {
  en: 'en-us',
  'zh-Hans': 'cmn',
  'zh-Hant': 'cmn',
  ko: 'ko',
  es: 'es',
  pt: 'pt-br',
  vi: 'vi',
  tl: 'id',
  id: 'id',
  th: 'th',
  ne: 'ne',
};

/** Where Debian's dictionary package puts Open JTalk's dictionary. */
const OPEN_JTALK_DICTIONARY = '/var/lib/mecab/dic/open-jtalk/naist-jdic';
const VOICE_FILE = 'mei_normal.htsvoice';
/** A voice that has not answered in this long is stuck: the renderer falls back rather than wait. */
const SYNTHESIS_TIMEOUT_MS = 8000;
/** Screens say few different things; keypad keys say one word over and over. */
const CACHE_ENTRIES = 200;

/**
 * The voice folder: `assets/voice/` in the source tree, `voice/` beside the
 * bundle (the build copies it), which a packaged app keeps outside its asar
 * archive so the engine, a separate program, can open it.
 */
export function voiceDir(): string {
  const candidates = ['./voice/', '../voice/', '../../assets/voice/'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)).replace(/app\.asar([\\/])/, 'app.asar.unpacked$1'),
  );
  return candidates.find((dir) => existsSync(join(dir, VOICE_FILE))) ?? (candidates[0] as string);
}

/**
 * Plain Japanese writes a kanji word's reading after it in brackets,
 * 暗証番号（あんしょうばんごう）: on screen that helps; aloud it would be said
 * twice, so the reading is dropped.
 */
export function withoutReadings(text: string): string {
  return text.replace(/（[\u3041-\u309f\u30fc・ ]+）/g, '');
}

export function localSpeechEngine(options: { voiceDir?: string } = {}): SpeechEngine {
  const voice = join(options.voiceDir ?? voiceDir(), VOICE_FILE);
  const cache = new Map<string, Buffer>();
  return {
    async synthesize(text, language) {
      const key = `${language}\n${text}`;
      const cached = cache.get(key);
      if (cached) {
        // Most recently used last: the oldest is the first to go.
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const wav =
        language === 'ja' || language === 'ja-x-easy'
          ? await openJTalk(withoutReadings(text), voice)
          : await run('espeak-ng', ['-v', ESPEAK_VOICES[language], '--stdout', '-s', '150'], text);
      if (!wav || !isWav(wav)) return undefined;
      cache.set(key, wav);
      if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      return wav;
    },
  };
}

/** Open JTalk writes its WAV to a file only: a private temporary folder, removed at once. */
async function openJTalk(text: string, voice: string): Promise<Buffer | undefined> {
  if (!existsSync(voice) || !existsSync(OPEN_JTALK_DICTIONARY)) return undefined;
  const folder = await mkdtemp(join(tmpdir(), 'myna-kiosk-voice-'));
  try {
    const out = join(folder, 'speech.wav');
    const finished = await run('open_jtalk', ['-x', OPEN_JTALK_DICTIONARY, '-m', voice, '-ow', out], text);
    if (finished === undefined) return undefined;
    return await readFile(out);
  } catch {
    return undefined;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Runs an engine with the text on its standard input; its standard output, or undefined if it is missing, fails or hangs. */
function run(command: string, args: string[], input: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), SYNTHESIS_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? Buffer.concat(chunks) : undefined);
    });
    child.stdin.on('error', () => {
      // The engine may exit before reading everything (a missing voice): its exit code tells.
    });
    child.stdin.end(`${input}\n`);
  });
}

function isWav(bytes: Buffer): boolean {
  return bytes.length > 44 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WAVE';
}
