// @vitest-environment happy-dom
import { render, screen } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { useRendererStrings } from './renderer-strings';
import type { Language, ViewState } from '../../../preload/contract';
import { TrainerPanel } from '../../../renderer/src/components/TrainerPanel';
import { SendContext } from '../../../renderer/src/send';
import STRINGS_EASY from '../../../renderer/src/locales/ja-x-easy.json';
import STRINGS_JA from '../../../renderer/src/locales/ja.json';
import STRINGS_EN from '../../../renderer/src/locales/en.json';

const { i18n } = useRendererStrings({ ja: STRINGS_JA, 'ja-x-easy': STRINGS_EASY, en: STRINGS_EN }, 'ja-x-easy');

const DEMO: NonNullable<ViewState['demo']> = {
  personas: [
    {
      id: 'standard-in-window',
      title: { ja: '標準の更新（成人）', en: 'Standard renewal (adult)' },
      description: { ja: '3つの暗証番号はすべて正しい。', en: 'All three PINs correct.' },
    },
  ],
  faults: { reader: 'plugged-in', service: 'up', cardPulled: false },
  idleReset: true,
};

function showPanel(language: Language) {
  void i18n.changeLanguage(language);
  return render(
    <I18nextProvider i18n={i18n}>
      <SendContext.Provider value={() => Promise.resolve({ ok: true })}>
        <TrainerPanel demo={DEMO} language={language} />
      </SendContext.Provider>
    </I18nextProvider>,
  );
}

describe('the trainer panel', () => {
  it('stays in standard Japanese while the resident reads easy Japanese: its readers are staff', () => {
    showPanel('ja-x-easy');
    const panel = screen.getByRole('complementary', { name: STRINGS_JA.trainer.title });
    expect(panel.getAttribute('lang')).toBe('ja');
    expect(screen.getByRole('button', { name: STRINGS_JA.trainer.insert })).toBeTruthy();
    // The easy wording, with its readings, is not used for the staff's panel.
    expect(STRINGS_EASY.trainer.insert).not.toBe(STRINGS_JA.trainer.insert);
    expect(screen.queryByRole('button', { name: STRINGS_EASY.trainer.insert })).toBeNull();
  });

  it('follows any other language the resident chose', () => {
    showPanel('en');
    const panel = screen.getByRole('complementary', { name: STRINGS_EN.trainer.title });
    expect(panel.getAttribute('lang')).toBe('en');
    expect(screen.getByRole('button', { name: STRINGS_EN.trainer.insert })).toBeTruthy();
  });
});
