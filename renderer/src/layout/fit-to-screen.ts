import { useLayoutEffect } from 'react';
import { TEXT_SCALES } from './text-scales';

/** How finely a screen that would not fit is brought back: in steps of this much of its text size. */
const FIT_STEP = 0.025;

/**
 * A kiosk cannot ask anyone to scroll. When the chosen text size makes a
 * screen taller than the window, the text is brought down in small steps
 * (the `--fit` factor on the root) until the screen fits, but never below
 * normal: a resident who chose larger text never gets smaller text than one
 * who did not. On a tall screen "largest" stays as chosen almost
 * everywhere; on a short one (1280×1024) the densest screens come down
 * towards normal rather than scroll. A screen that does not fit even at
 * normal size is a layout fault, and the screen matrix
 * (test/e2e/screen-matrix.spec.ts) fails on it.
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
  // The smallest fit there may be brings the text to normal size (fit × scale = 1), and the last step lands there.
  const normal = 1 / TEXT_SCALES[textSize];
  const mostSteps = Math.ceil((1 - normal) / FIT_STEP - 1e-9);
  const fitAt = (steps: number) => Math.max(1 - steps * FIT_STEP, normal);
  const fits = (steps: number) => {
    root.style.setProperty('--fit', fitAt(steps).toFixed(3));
    return root.scrollHeight <= window.innerHeight;
  };
  let steps = 0;
  if (!fits(0)) {
    // Fewer steps, larger text: find the fewest that fit by halving, a few reflows instead of one per step.
    let low = 1;
    let high = mostSteps;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (fits(middle)) high = middle;
      else low = middle + 1;
    }
    steps = Math.min(low, mostSteps);
    fits(steps);
  }
  root.dataset.fit = fitAt(steps).toFixed(3);
}
