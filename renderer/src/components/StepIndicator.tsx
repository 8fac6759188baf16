import { useTranslation } from 'react-i18next';
import type { SessionView } from '../../../preload/contract';
import { phrased } from '../phrasing';

/** The renewal as a resident is told it, in five steps. */
export const RENEWAL_STEPS = ['check', 'pins', 'confirm', 'renew', 'done'] as const;
type RenewalStep = (typeof RENEWAL_STEPS)[number];

/**
 * Which step each screen belongs to: a lookup, main has decided the screen.
 * Screens that end the visit short of a renewal (hand-off, not yet, card
 * renewal, ended) and the pulled-card screen belong to none: no step is
 * claimed that the resident is not on.
 */
const STEP_OF: Partial<Record<SessionView['screen'], RenewalStep>> = {
  reading: 'check',
  status: 'check',
  'route-choice': 'check',
  'proxy-check': 'check',
  'authority-check': 'check',
  'identity-check': 'check',
  'pin-entry': 'pins',
  'last-try': 'pins',
  verifying: 'pins',
  'new-pin': 'pins',
  'new-pin-again': 'pins',
  'setting-pin': 'pins',
  'checking-substitutes': 'pins',
  substitutes: 'pins',
  confirm: 'confirm',
  renewing: 'renew',
  done: 'done',
};

/** How a numbered step list marks each step against the current one: in words for assistive technology, by state for the eye. */
export function stepMarks(index: number, current: number) {
  return {
    'aria-current': index === current ? ('step' as const) : undefined,
    'data-state': index < current ? 'done' : index === current ? 'current' : 'waiting',
  };
}

export function stepOf(screen: SessionView['screen']): RenewalStep | undefined {
  return STEP_OF[screen];
}

/** Where the resident is in the renewal: numbered steps, the current one marked in words and by aria-current, not by colour alone. */
export function StepIndicator({ session }: { session: SessionView }) {
  const { t, i18n } = useTranslation();
  const step = stepOf(session.screen);
  if (!step) return null;
  const current = RENEWAL_STEPS.indexOf(step);
  return (
    <ol className="steps" aria-label={t('steps.label')}>
      {RENEWAL_STEPS.map((name, index) => (
        <li key={name} {...stepMarks(index, current)}>
          <span className="steps__number" aria-hidden="true">
            <span>{index + 1}</span>
          </span>
          <span>{phrased(t(`steps.${name}`), i18n.language)}</span>
          {index === current && <span className="visually-hidden">{t('renewing.stepNow')}</span>}
        </li>
      ))}
    </ol>
  );
}
