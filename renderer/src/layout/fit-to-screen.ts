import { useLayoutEffect } from 'react';

/**
 * The resident's text sizes, as multiples of the screen's rem
 * (styles.css): normal, large, largest.
 */
export const TEXT_SCALES = [1, 1.25, 1.5] as const;

/** How finely a screen that would not fit is brought back: in steps of this much of its text size. */
const FIT_STEP = 0.025;

/**
 * A kiosk cannot ask anyone to scroll. When the chosen text size makes a
 * screen taller than the window, the text is brought down in small steps
 * (the `--fit` factor on the root) until the screen fits, but never below
 * the next smaller size: "largest" stays larger than "large", "large" than
 * normal. A screen that does not fit even then is a layout fault, and the
 * screen matrix (test/e2e/screen-matrix.spec.ts) fails on it.
 *
 * Runs after every render of the app (a new screen, new strings, a new
 * size), when the window changes size and when fonts finish loading: each
 * changes how tall the screen is.
 */
export function useFitToScreen(textSize: 0 | 1 | 2): void {
  useLayoutEffect(() => {
    fitToScreen(textSize);
  });
  useLayoutEffect(() => {
    const refit = () => fitToScreen(textSize);
    window.addEventListener('resize', refit);
    document.fonts?.addEventListener('loadingdone', refit);
    return () => {
      window.removeEventListener('resize', refit);
      document.fonts?.removeEventListener('loadingdone', refit);
    };
  }, [textSize]);
}

export function fitToScreen(textSize: 0 | 1 | 2): void {
  const root = document.documentElement;
  const floor = textSize === 0 ? 1 : TEXT_SCALES[textSize - 1]! / TEXT_SCALES[textSize]!;
  let fit = 1;
  root.style.setProperty('--fit', '1');
  // Each step reads the layout once: a few quick reflows, only when the screen would not fit.
  while (root.scrollHeight > window.innerHeight && fit - FIT_STEP >= floor - 1e-9) {
    fit -= FIT_STEP;
    root.style.setProperty('--fit', fit.toFixed(3));
  }
  root.dataset.fit = fit.toFixed(3);
}
