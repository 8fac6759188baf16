/**
 * The resident's text sizes, as multiples of the screen's rem
 * (styles.css): normal, large, largest. Kept apart from the fitting code
 * (fit-to-screen.ts), which needs a DOM, so the screen matrix can read them.
 */
export const TEXT_SCALES = [1, 1.25, 1.5] as const;
