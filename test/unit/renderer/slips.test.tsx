// @vitest-environment happy-dom
import { render, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { useRendererStrings } from './renderer-strings';
import type { Language, SessionView } from '../../../preload/contract';
import { formatJapanDate } from '../../../renderer/src/format/dates';
import { CompletionSlip } from '../../../renderer/src/slips/CompletionSlip';
import { HandOffSlip } from '../../../renderer/src/slips/HandOffSlip';
import { qrPayload } from '../../../renderer/src/slips/ReferenceQr';
import { HAND_OFF_CODES } from '../../../renderer/src/slips/slip-strings';
import SLIP_STRINGS_EN from '../../../renderer/src/locales/en.json';
import SLIP_STRINGS_JA from '../../../renderer/src/locales/ja.json';

const REFERENCE = 'ABCD-EFGH';
/** The kiosk's today, from main (a practice day in a demo): the slips print it, never the machine's date. */
const TODAY = '2031-04-09';
const STRINGS = { en: SLIP_STRINGS_EN, ja: SLIP_STRINGS_JA } as const;

// Keys the slips ask for that the strings lack fail the test (missingKeys).
const { i18n, missingKeys } = useRendererStrings({ en: SLIP_STRINGS_EN, ja: SLIP_STRINGS_JA }, 'ja');

function renderSlip(slip: ReactElement) {
  return render(<I18nextProvider i18n={i18n}>{slip}</I18nextProvider>);
}

function handOffSession(handOff: string, extra: Partial<SessionView> = {}): SessionView {
  return {
    screen: 'hand-off',
    reference: REFERENCE,
    route: 'in-person',
    handOff: handOff as SessionView['handOff'],
    ended: 'handed-off',
    ...extra,
  };
}

function keyPaths(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keyPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

function valueAt(tree: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], tree);
}

async function qrImage(container: HTMLElement): Promise<HTMLImageElement> {
  return waitFor(() => {
    const image = container.querySelector('img');
    expect(image?.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    return image!;
  });
}

describe('the slip strings', () => {
  // Same keys and no empty string in every language: test/unit/renderer/i18n.test.ts.
  it.each(['en', 'ja'] as const)('give every hand-off code a reason, what to bring and where to go in %s', (language) => {
    for (const code of HAND_OFF_CODES) {
      for (const part of ['reasons', 'bring', 'where'])
        expect(valueAt(STRINGS[language], `slips.handOff.${part}.${code}`), `${part}.${code}`).toEqual(expect.any(String));
    }
  });

  it('ask for nothing personal: no placeholder but the date, the reference and the names of locked PINs', () => {
    const placeholders = new Set(
      (['en', 'ja'] as const).flatMap((language) =>
        keyPaths(STRINGS[language])
          .filter((path) => path.startsWith('slips.'))
          .flatMap((path) => [...String(valueAt(STRINGS[language], path)).matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1])),
      ),
    );
    expect([...placeholders].sort()).toEqual(['date', 'pins', 'reference']);
  });
});

describe('qrPayload', () => {
  it('holds the reference alone, or the reference and the hand-off code', () => {
    expect(qrPayload(REFERENCE)).toBe('MYNA-KIOSK:ABCD-EFGH');
    expect(qrPayload(REFERENCE, 'pin-locked')).toBe('MYNA-KIOSK:ABCD-EFGH:pin-locked');
  });

  it.each(HAND_OFF_CODES)('holds nothing but the reference and %s', (code) => {
    expect(qrPayload(REFERENCE, code)).toBe(`MYNA-KIOSK:${REFERENCE}:${code}`);
  });

  it('refuses anything that is not a reference or a hand-off code', () => {
    expect(() => qrPayload('1234')).toThrow(RangeError);
    expect(() => qrPayload('山田太郎')).toThrow(RangeError);
    expect(() => qrPayload(REFERENCE, '1234' as never)).toThrow(RangeError);
    expect(() => qrPayload(REFERENCE, 'pin-locked:1234' as never)).toThrow(RangeError);
  });
});

describe('HandOffSlip', () => {
  describe.each(['ja', 'en'] as const)('in %s', (language) => {
    it.each(HAND_OFF_CODES)('says why, what to bring and where to go for %s, with the reference and its QR', async (code) => {
      const { container } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession(code)} language={language} />);
      const text = container.textContent ?? '';
      const handOff = STRINGS[language].slips.handOff;
      expect(text).toContain(handOff.reasons[code]);
      expect(text).toContain(handOff.bring[code]);
      expect(text).toContain(handOff.where[code]);
      expect(text).toContain(handOff.title);
      expect(text).not.toMatch(/slips\./);
      expect(text).toContain(REFERENCE);
      expect(text).toContain(formatJapanDate(TODAY, language));
      const image = await qrImage(container);
      expect(image.getAttribute('alt')).toContain(REFERENCE);
    });
  });

  it('is in the language it is given, whatever the screen’s language', () => {
    const { container } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession('pin-locked')} language="en" />);
    expect(i18n.language).toBe('ja');
    expect(container.textContent).toContain(SLIP_STRINGS_EN.slips.handOff.reasons['pin-locked']);
    expect(container.querySelector('.slip')?.getAttribute('lang')).toBe('en');
  });

  it('prints the general wording for a code it does not know', async () => {
    const { container } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession('something-new')} language="ja" />);
    expect(container.textContent).toContain(SLIP_STRINGS_JA.slips.handOff.reasons.other);
    await qrImage(container);
  });

  it('shows the help lines', () => {
    const { container } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession('service-unavailable')} language="ja" />);
    expect(container.textContent).toContain('0120-95-0178');
    expect(container.textContent).toContain('0120-0178-27');
  });

  it('never prints the substitute name and address a counter view may carry', async () => {
    const session = handOffSession('substitute-characters-declined', {
      substitutes: { name: '髙橋 太郎', address: '東京都千代田区霞が関1-1' },
    });
    const { container } = renderSlip(<HandOffSlip today={TODAY} session={session} language="ja" />);
    await qrImage(container);
    expect(container.innerHTML).not.toContain('髙橋');
    expect(container.innerHTML).not.toContain('霞が関');
  });

  it('is hidden on screen unless previewed: the root has class slip, and slip--preview when previewed', () => {
    const { container, rerender } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession('card-error')} language="ja" />);
    expect(container.firstElementChild?.className).toBe('slip');
    rerender(
      <I18nextProvider i18n={i18n}>
        <HandOffSlip today={TODAY} session={handOffSession('card-error')} language="ja" preview />
      </I18nextProvider>,
    );
    expect(container.firstElementChild?.className).toBe('slip slip--preview');
  });

  it('holds the QR’s place with a box of the same size until it is drawn', () => {
    const { container } = renderSlip(<HandOffSlip today={TODAY} session={handOffSession('card-error')} language="ja" />);
    const placeholder = container.querySelector('.reference-qr--pending');
    expect(placeholder?.classList.contains('reference-qr')).toBe(true);
    expect(placeholder?.getAttribute('aria-label')).toContain(REFERENCE);
  });
});

describe('CompletionSlip', () => {
  const renewed: SessionView = {
    screen: 'done',
    reference: REFERENCE,
    route: 'in-person',
    renewed: { authenticationExpires: '2031-04-10', signatureExpires: '2030-12-31' },
    ended: 'renewed',
  };

  it('gives both new expiry dates with the era, the reminders, the help lines and the reference', async () => {
    const { container } = renderSlip(<CompletionSlip today={TODAY} session={renewed} language="ja" />);
    const text = container.textContent ?? '';
    const completion = SLIP_STRINGS_JA.slips.completion;
    expect(text).toContain('2031年4月10日（令和13年）');
    expect(text).toContain('2030年12月31日（令和12年）');
    expect(text).toContain(completion.authentication);
    expect(text).toContain(completion.signature);
    expect(text).toContain(completion.reRegister);
    expect(text).toContain(completion.delay);
    expect(text).toContain('0120-95-0178');
    expect(text).toContain('0120-0178-27');
    expect(text).toContain(REFERENCE);
    expect(text).not.toMatch(/slips\./);
    const image = await qrImage(container);
    expect(image.getAttribute('alt')).toContain(REFERENCE);
  });

  it('leaves out the signature certificate when none was renewed', () => {
    const session: SessionView = { ...renewed, renewed: { authenticationExpires: '2031-04-10' } };
    const { container } = renderSlip(<CompletionSlip today={TODAY} session={session} language="en" />);
    expect(container.textContent).toContain('April 10, 2031');
    expect(container.textContent).toContain(SLIP_STRINGS_EN.slips.completion.authentication);
    expect(container.textContent).not.toContain(SLIP_STRINGS_EN.slips.completion.signature);
  });

  it.each<Language>(['ja', 'en'])('uses only keys that exist (%s)', (language) => {
    renderSlip(<CompletionSlip today={TODAY} session={renewed} language={language} />);
    expect(missingKeys).toEqual([]);
  });
});
