import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DemoFault, Language, ViewState } from '../../../preload/contract';
import { useSend } from '../send';

type Demo = NonNullable<ViewState['demo']>;

/** Persona descriptions exist in Japanese and English; readers of other languages get the English. */
const personaLanguage = (language: Language): 'ja' | 'en' => (language === 'ja' || language === 'ja-x-easy' ? 'ja' : 'en');

/** Trainers are staff: easy Japanese, with its readings, is for residents, so under it their panel stays in standard Japanese. */
const trainerLanguage = (language: Language): Language => (language === 'ja-x-easy' ? 'ja' : language);

/**
 * The trainer's panel (virtual cards only): pick a persona's card, break
 * things at any moment, and reset in one tap. It acts only through the same
 * commands, so the kiosk reacts exactly as it would to the real event.
 */
export function TrainerPanel({ demo, language }: { demo: Demo; language: Language }) {
  const panelLanguage = trainerLanguage(language);
  const { t } = useTranslation(undefined, { lng: panelLanguage });
  const send = useSend();
  // Beside the screen in landscape; in portrait it would cover the screen's lower half, so it starts folded there.
  const [open, setOpen] = useState(() => !window.matchMedia('(orientation: portrait)').matches);
  const [chosen, setChosen] = useState(demo.personas[0]?.id ?? '');
  const selectId = useId();
  const descriptionId = useId();
  const lang = personaLanguage(language);
  const persona = demo.personas.find((candidate) => candidate.id === chosen);
  const fault = (kind: DemoFault) => () => void send({ type: 'DEMO_FAULT', fault: kind });
  const inserted = demo.personas.find((candidate) => candidate.id === demo.persona);

  return (
    <aside className="trainer" aria-label={t('trainer.title')} lang={panelLanguage}>
      <button type="button" className="trainer__toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('trainer.title')}
      </button>
      {open && (
        <div className="trainer__body">
          <label htmlFor={selectId}>{t('trainer.persona')}</label>
          <select id={selectId} value={chosen} aria-describedby={descriptionId} onChange={(event) => setChosen(event.target.value)}>
            {demo.personas.map((candidate) => (
              <option key={candidate.id} value={candidate.id} lang={lang}>
                {candidate.title[lang]}
              </option>
            ))}
          </select>
          <p id={descriptionId} className="trainer__description" lang={lang}>
            {persona?.description[lang]}
          </p>
          <button type="button" onClick={() => void send({ type: 'DEMO_INSERT_CARD', persona: chosen })}>
            {t('trainer.insert')}
          </button>
          <p className="trainer__state" role="status">
            {!inserted
              ? t('trainer.noCard')
              : demo.faults.cardPulled
                ? t('trainer.cardPulled', { persona: inserted.title[lang] })
                : t('trainer.inReader', { persona: inserted.title[lang] })}
            {' · '}
            {t(`trainer.reader.${demo.faults.reader}`)}
            {' · '}
            {t(`trainer.service.${demo.faults.service}`)}
          </p>
          <fieldset>
            <legend>{t('trainer.faults')}</legend>
            {demo.faults.cardPulled ? (
              <button type="button" onClick={fault('reinsert-card')}>
                {t('trainer.fault.reinsert-card')}
              </button>
            ) : (
              <button type="button" onClick={fault('pull-card')} disabled={!demo.persona}>
                {t('trainer.fault.pull-card')}
              </button>
            )}
            {demo.faults.reader === 'plugged-in' ? (
              <button type="button" onClick={fault('unplug-reader')}>
                {t('trainer.fault.unplug-reader')}
              </button>
            ) : (
              <button type="button" onClick={fault('plug-in-reader')}>
                {t('trainer.fault.plug-in-reader')}
              </button>
            )}
            <button
              type="button"
              aria-pressed={demo.faults.service === 'down'}
              onClick={fault(demo.faults.service === 'down' ? 'service-up' : 'service-down')}
            >
              {t('trainer.fault.service-down')}
            </button>
            <button
              type="button"
              aria-pressed={demo.faults.service === 'slow'}
              onClick={fault(demo.faults.service === 'slow' ? 'service-up' : 'service-slow')}
            >
              {t('trainer.fault.service-slow')}
            </button>
            <button type="button" onClick={fault('power-cut')}>
              {t('trainer.fault.power-cut')}
            </button>
          </fieldset>
          <button type="button" aria-pressed={demo.idleReset} onClick={() => void send({ type: 'DEMO_IDLE_RESET', on: !demo.idleReset })}>
            {t('trainer.idleReset')}
          </button>
          <button type="button" className="trainer__reset" onClick={() => void send({ type: 'DEMO_RESET' })}>
            {t('trainer.reset')}
          </button>
        </div>
      )}
    </aside>
  );
}
