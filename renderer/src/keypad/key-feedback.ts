/**
 * What a key press sounds like. Every key makes the same click and, in
 * audio mode, speaks the same word, so someone standing nearby learns
 * nothing from listening (docs/experience.md, "The secure keypad").
 * Where the platform has no audio (tests, old browsers) both stay silent.
 */

const CLICK_SECONDS = 0.03;
const CLICK_HERTZ = 1000;
const CLICK_VOLUME = 0.2;

let audioContext: AudioContext | undefined;

function sharedAudioContext(): AudioContext | undefined {
  if (audioContext) return audioContext;
  const AudioContextClass = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!AudioContextClass) return undefined;
  // Created on the first key press, not at load: browsers keep a context made before any gesture suspended.
  audioContext = new AudioContextClass();
  return audioContext;
}

export function playKeySound(): void {
  try {
    const context = sharedAudioContext();
    if (!context) return;
    if (context.state === 'suspended') void context.resume();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = CLICK_HERTZ;
    const start = context.currentTime;
    gain.gain.setValueAtTime(CLICK_VOLUME, start);
    // A ramp instead of a hard stop: cutting the wave off mid-cycle pops.
    gain.gain.exponentialRampToValueAtTime(0.001, start + CLICK_SECONDS);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + CLICK_SECONDS);
  } catch {
    // A missing click must never stop someone typing their PIN.
  }
}

/** Asks the terminal to say the text (main/kiosk/speech.ts): a WAV file, base64, or nothing when it has no voice. */
export type TerminalVoice = (text: string) => Promise<string | undefined>;

let terminalVoice: TerminalVoice | undefined;
let playing: AudioBufferSourceNode | undefined;
/** Each request supersedes the one before: a late answer for an earlier key is never played. */
let latestRequest = 0;

/** Set once by the app with its bridge: the terminal's own engines speak, heard even where the browser has no voice. */
export function setTerminalVoice(voice: TerminalVoice | undefined): void {
  terminalVoice = voice;
}

/**
 * Says the text: with the terminal's voice when it has one for the
 * language, otherwise with the platform's speech synthesis. A new request
 * cuts the one before it short, so quick key presses do not queue up.
 */
export function speak(text: string, lang: string): void {
  const request = ++latestRequest;
  stopSpeaking();
  if (!terminalVoice) {
    platformSpeak(text, lang);
    return;
  }
  terminalVoice(text)
    .then(async (audio) => {
      if (request !== latestRequest) return;
      if (!audio || !(await playWav(audio, () => request === latestRequest))) platformSpeak(text, lang);
    })
    .catch(() => {
      if (request === latestRequest) platformSpeak(text, lang);
    });
}

function stopSpeaking(): void {
  try {
    playing?.stop();
  } catch {
    // Already ended.
  }
  playing = undefined;
  (globalThis as { speechSynthesis?: SpeechSynthesis }).speechSynthesis?.cancel();
}

/** Plays a WAV file through the page's audio context; false when the platform cannot. */
async function playWav(base64: string, stillWanted: () => boolean): Promise<boolean> {
  const context = sharedAudioContext();
  if (!context) return false;
  try {
    if (context.state === 'suspended') await context.resume();
    const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
    const buffer = await context.decodeAudioData(bytes.buffer);
    if (!stillWanted()) return true;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    source.start();
    playing = source;
    return true;
  } catch {
    return false;
  }
}

function platformSpeak(text: string, lang: string): void {
  const synthesis = (globalThis as { speechSynthesis?: SpeechSynthesis }).speechSynthesis;
  const Utterance = (globalThis as { SpeechSynthesisUtterance?: typeof SpeechSynthesisUtterance }).SpeechSynthesisUtterance;
  if (!synthesis || !Utterance) return;
  try {
    // Quick presses would otherwise queue up and keep speaking after the fingers stop.
    synthesis.cancel();
    const utterance = new Utterance(text);
    utterance.lang = speechLanguage(lang);
    synthesis.speak(utterance);
  } catch {
    // Silence is the fallback, as on a platform with no voice.
  }
}

/** Voices are installed for plain language tags; `ja-x-easy` (plain Japanese) is spoken with a Japanese voice. */
export function speechLanguage(lang: string): string {
  return lang.replace(/-x-.*$/i, '');
}
