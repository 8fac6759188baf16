import { create } from 'zustand';

/**
 * How the resident wants the screen: text size, contrast, spoken guidance,
 * and (visual mode only) a shuffled keypad. Local to this terminal's page,
 * never sent to main, and back to the defaults at every full reset so the
 * next resident starts from the same screen.
 */
export interface DisplayPreferences {
  textSize: 0 | 1 | 2;
  highContrast: boolean;
  audio: boolean;
  shuffleKeypad: boolean;
  setTextSize(size: DisplayPreferences['textSize']): void;
  toggleHighContrast(): void;
  toggleAudio(): void;
  toggleShuffleKeypad(): void;
  reset(): void;
}

const DEFAULTS = { textSize: 0, highContrast: false, audio: false, shuffleKeypad: false } as const;

export const usePreferences = create<DisplayPreferences>()((set) => ({
  ...DEFAULTS,
  setTextSize: (textSize) => set({ textSize }),
  toggleHighContrast: () => set((state) => ({ highContrast: !state.highContrast })),
  // Audio guidance and a shuffled keypad do not mix: a listener finds keys by position.
  toggleAudio: () => set((state) => ({ audio: !state.audio, shuffleKeypad: false })),
  toggleShuffleKeypad: () => set((state) => ({ shuffleKeypad: !state.audio && !state.shuffleKeypad })),
  reset: () => set(DEFAULTS),
}));
