import { beforeEach, describe, expect, it } from 'vitest';
import type { ViewState } from '../../../preload/contract';
import { useKioskStore } from '../../../renderer/src/store';

const snapshot: ViewState = {
  profile: 'lobby',
  cardSource: 'pcsc',
  screen: 'attract',
  language: 'ja',
  reader: { state: 'waiting_for_card', readers: ['R1'] },
  takeCard: false,
  customerDisplay: false,
  printer: 'kiosk',
  today: '2026-12-07',
};

beforeEach(() => useKioskStore.setState({ view: undefined, connection: 'connecting' }));

describe('the renderer store', () => {
  it('mirrors each snapshot whole', () => {
    useKioskStore.getState().applyEvent({ type: 'snapshot', state: snapshot });
    expect(useKioskStore.getState().view).toEqual(snapshot);
    useKioskStore.getState().applyEvent({ type: 'snapshot', state: { ...snapshot, language: 'en' } });
    expect(useKioskStore.getState().view?.language).toBe('en');
  });

  it('applies a reader event to the current view', () => {
    useKioskStore.getState().applyEvent({ type: 'snapshot', state: snapshot });
    useKioskStore.getState().applyEvent({ type: 'reader', status: { state: 'card_present', reader: 'R1', readers: ['R1'] } });
    expect(useKioskStore.getState().view?.reader).toEqual({ state: 'card_present', reader: 'R1', readers: ['R1'] });
  });

  it('ignores a reader event that arrives before the first snapshot', () => {
    useKioskStore.getState().applyEvent({ type: 'reader', status: { state: 'no_reader' } });
    expect(useKioskStore.getState().view).toBeUndefined();
  });
});
