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

export function speak(text: string, lang: string): void {
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
