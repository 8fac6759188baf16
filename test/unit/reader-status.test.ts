import { describe, expect, it } from 'vitest';
import type { CardReader, ReaderEvent, ReaderEventListener } from '../../main/card/reader';
import { ReaderStatusService, type ReaderStatus } from '../../main/card/reader-status';

/** A reader whose events the test fires by hand. */
class ScriptedReader implements CardReader {
  readonly kind = 'pcsc' as const;
  listener: ReaderEventListener | undefined;
  start(listener: ReaderEventListener) {
    this.listener = listener;
  }
  async stop() {}
  async connect(): Promise<never> {
    throw new Error('not used');
  }
  fire(...events: ReaderEvent[]) {
    for (const event of events) this.listener?.(event);
  }
}

function watch() {
  const reader = new ScriptedReader();
  const service = new ReaderStatusService(reader);
  const reported: ReaderStatus[] = [];
  service.subscribe((status) => reported.push(status));
  service.start();
  return { reader, service, reported };
}

const atr = new Uint8Array([0x3b, 0x80]);

describe('reader status', () => {
  it('starts as "no reader"', () => {
    expect(watch().service.status).toEqual({ state: 'no_reader' });
  });

  it('waits for a card once a reader is attached, then sees the card come and go', () => {
    const { reader, reported } = watch();
    reader.fire({ type: 'reader-attached', reader: 'R1' });
    reader.fire({ type: 'card-inserted', reader: 'R1', atr });
    reader.fire({ type: 'card-removed', reader: 'R1' });
    expect(reported).toEqual([
      { state: 'waiting_for_card', readers: ['R1'] },
      { state: 'card_present', reader: 'R1', readers: ['R1'] },
      { state: 'waiting_for_card', readers: ['R1'] },
    ]);
  });

  it('reports a change once, not once per event', () => {
    const { reader, reported } = watch();
    reader.fire(
      { type: 'reader-attached', reader: 'R1' },
      { type: 'reader-attached', reader: 'R1' },
      { type: 'card-removed', reader: 'R1' },
    );
    expect(reported).toHaveLength(1);
  });

  it('is not "no reader" when one of two readers is unplugged', () => {
    const { reader, service } = watch();
    reader.fire({ type: 'reader-attached', reader: 'R2' }, { type: 'reader-attached', reader: 'R1' });
    expect(service.status).toEqual({ state: 'waiting_for_card', readers: ['R1', 'R2'] });
    reader.fire({ type: 'card-inserted', reader: 'R2', atr });
    reader.fire({ type: 'reader-detached', reader: 'R1' });
    expect(service.status).toEqual({ state: 'card_present', reader: 'R2', readers: ['R2'] });
    reader.fire({ type: 'reader-detached', reader: 'R2' });
    expect(service.status).toEqual({ state: 'no_reader' });
  });

  it('forgets every reader when the stack goes away, and relearns them when it returns', () => {
    const { reader, service } = watch();
    reader.fire({ type: 'reader-attached', reader: 'R1' }, { type: 'card-inserted', reader: 'R1', atr });
    reader.fire({ type: 'stack-unavailable', reason: 'service-not-running' });
    expect(service.status).toEqual({ state: 'unavailable', reason: 'service-not-running' });
    reader.fire({ type: 'stack-available' });
    expect(service.status).toEqual({ state: 'no_reader' });
    reader.fire({ type: 'reader-attached', reader: 'R1' });
    expect(service.status).toEqual({ state: 'waiting_for_card', readers: ['R1'] });
  });

  it('ignores a card event for a reader it never saw attached', () => {
    const { reader, service } = watch();
    reader.fire({ type: 'card-removed', reader: 'ghost' });
    expect(service.status).toEqual({ state: 'no_reader' });
  });

  it('a reader announced again keeps the card that is in it', () => {
    const { reader, service } = watch();
    reader.fire({ type: 'reader-attached', reader: 'R1' }, { type: 'card-inserted', reader: 'R1', atr });
    reader.fire({ type: 'reader-attached', reader: 'R1' });
    expect(service.status).toEqual({ state: 'card_present', reader: 'R1', readers: ['R1'] });
  });

  it('an unsubscribed listener hears nothing more; the others still do', () => {
    const { reader, service, reported } = watch();
    const left: ReaderStatus[] = [];
    const unsubscribe = service.subscribe((status) => left.push(status));
    reader.fire({ type: 'reader-attached', reader: 'R1' });
    unsubscribe();
    reader.fire({ type: 'card-inserted', reader: 'R1', atr });
    expect(left).toHaveLength(1);
    expect(reported).toHaveLength(2);
  });

  it('stopping stops the reader and drops every listener', async () => {
    const { reader, service, reported } = watch();
    let stopped = 0;
    reader.stop = async () => {
      stopped++;
    };
    await service.stop();
    expect(stopped).toBe(1);
    reader.fire({ type: 'reader-attached', reader: 'R1' });
    expect(reported).toEqual([]);
    // The status still follows the stream; only the listeners are gone.
    expect(service.status).toEqual({ state: 'waiting_for_card', readers: ['R1'] });
  });
});
