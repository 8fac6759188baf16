/**
 * What the page gets before the renderer loads: the stand-in for the
 * preload's bridge (it answers every command and shows whatever snapshot the
 * test hands it), and `__showAndCheck`, which shows one state, waits until
 * it is drawn (its language's strings, the text size, the fonts, two
 * frames) and returns everything wrong with the layout, and how far the
 * text was brought down to fit (layout/fit-to-screen.ts), in one round trip.
 */
function installScreenMatrixHelpers(): void {
  type Listener = (event: { type: 'snapshot'; state: unknown }) => void;
  const world = window as unknown as {
    kiosk: unknown;
    __showAndCheck: (state: { language: string }, textSize: number) => Promise<{ problems: string[]; fit: number }>;
  };
  let listener: Listener | undefined;
  let current: unknown;
  world.kiosk = {
    send: () => Promise.resolve({ ok: true }),
    subscribe: (next: Listener) => {
      listener = next;
      if (current) next({ type: 'snapshot', state: current });
      return () => {
        listener = undefined;
      };
    },
  };
  // React schedules its render as a task on a message channel; a message posted after the store changed runs after it,
  // so the screen is committed (and has fitted itself) by then, without waiting for a frame to be painted.
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  const afterRender = () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`the page never showed ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** Everything wrong with the layout on the screen now, in words; runs in the page. */
  function layoutProblems(): string[] {
    const problems: string[] = [];
    const width = window.innerWidth;
    const height = window.innerHeight;
    const root = document.documentElement;
    if (root.scrollHeight > height + 1) problems.push(`the page scrolls: ${root.scrollHeight} px tall in ${height}`);
    if (root.scrollWidth > width + 1) problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in ${width}`);

    const describe = (element: Element) => {
      const text = (element.getAttribute('aria-label') ?? (element as HTMLElement).innerText ?? '').trim().replace(/\s+/g, ' ');
      const firstClass = element.className ? ` .${String(element.className).split(' ')[0]}` : '';
      return `<${element.tagName.toLowerCase()}${firstClass}> "${text.slice(0, 40)}"`;
    };
    const shown = (element: Element) => {
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && !element.closest('.visually-hidden');
    };

    // With a dialog or the idle overlay open, only its own controls are for touching: the rest is covered on purpose.
    const overlays = [...document.querySelectorAll('.overlay')];
    const layer = overlays[overlays.length - 1] ?? document.body;
    const controls = [...layer.querySelectorAll('button, select, input, a[href]')].filter(shown);

    // Each control's box, read once: the checks below and the overlap pairs all use it.
    const boxes = new Map(controls.map((control) => [control, control.getBoundingClientRect()] as const));
    for (const control of controls) {
      const box = boxes.get(control)!;
      // Described only when something is wrong: reading a label's text costs a layout query per control.
      const name = () => describe(control);
      if (box.left < -0.5 || box.top < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
        problems.push(`${name()} is not wholly on the screen`);
        continue;
      }
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      if (hit && !control.contains(hit) && !hit.contains(control) && !(control.tagName === 'INPUT' && hit.tagName === 'LABEL')) {
        problems.push(`${name()} is covered by ${describe(hit)}`);
      }
      const labelOverflows = control.scrollWidth > control.clientWidth + 1 || control.scrollHeight > control.clientHeight + 1;
      if (control.tagName === 'BUTTON' && labelOverflows) {
        problems.push(`${name()}'s label does not fit it`);
      }
      const trainer = control.closest('.trainer') !== null;
      if (control.classList.contains('keypad__key')) {
        const size = `${box.width.toFixed(0)}×${box.height.toFixed(0)} px`;
        // 96 px on the lobby's 1080×1920; 80 on screens half as tall (docs/experience.md, "The secure keypad").
        const floor = height > 1100 ? 96 : 80;
        if (box.width < floor - 0.5 || box.height < floor - 0.5) problems.push(`${name()} is ${size}, under ${floor}×${floor}`);
      } else if (control.closest('.kiosk__header') || control.closest('.language-choices')) {
        if (box.height < 59.5) problems.push(`${name()} is ${box.height.toFixed(0)} px tall, under 60`);
      } else if (control.closest('.actions') && !trainer) {
        if (box.height < 59.5) problems.push(`${name()} is ${box.height.toFixed(0)} px tall, under 60`);
      } else if (control.tagName === 'BUTTON' && (box.height < 43.5 || box.width < 43.5)) {
        problems.push(`${name()} is ${box.width.toFixed(0)}×${box.height.toFixed(0)} px, under 44×44`);
      }
    }

    // Every key of the keypad the same size.
    const keys = controls.filter((control) => control.classList.contains('keypad__key')).map((key) => boxes.get(key)!);
    const first = keys[0];
    if (first && keys.some((key) => Math.abs(key.width - first.width) > 0.5 || Math.abs(key.height - first.height) > 0.5)) {
      problems.push('the keypad keys are not all the same size');
    }

    // No two controls overlap.
    for (let i = 0; i < controls.length; i++) {
      const a = boxes.get(controls[i]!)!;
      for (let j = i + 1; j < controls.length; j++) {
        const b = boxes.get(controls[j]!)!;
        const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (overlapX <= 1 || overlapY <= 1) continue;
        // A control inside another (an input in its label's button, say) is one target, not two.
        if (controls[i]!.contains(controls[j]!) || controls[j]!.contains(controls[i]!)) continue;
        problems.push(`${describe(controls[i]!)} overlaps ${describe(controls[j]!)}`);
      }
    }

    // No text sticks out of its box sideways (a word too long for its column).
    for (const block of layer.querySelectorAll('h1, h2, h3, p, dt, dd, li, legend, label, figcaption')) {
      if (shown(block) && block.scrollWidth > block.clientWidth + 1 && getComputedStyle(block).display !== 'inline') {
        problems.push(`the text of ${describe(block)} is wider than its box`);
      }
    }
    return problems;
  }

  world.__showAndCheck = async (state, textSize) => {
    current = state;
    listener?.({ type: 'snapshot', state });
    const root = document.documentElement;
    await afterRender();
    // A new language's strings arrive from their own file, a little later.
    await until(() => root.lang === state.language && document.querySelector('main') !== null, `the language ${state.language}`);
    // Back at rest (attract) the resident's settings reset, as they must: the size is set again once the screen is up.
    if (root.dataset.textSize !== String(textSize)) {
      document.querySelectorAll<HTMLButtonElement>('.display-bar button')[textSize]?.click();
      await until(() => root.dataset.textSize === String(textSize), `text size ${textSize}`);
    }
    await afterRender();
    // Reading the layout makes the page ask for the glyphs it lacks; once they are in, the screen fits itself again.
    void root.scrollHeight;
    if (document.fonts.status === 'loading') {
      await document.fonts.ready;
      await afterRender();
    }
    return { problems: layoutProblems(), fit: Number(root.dataset.fit ?? '1') };
  };
}

installScreenMatrixHelpers();
