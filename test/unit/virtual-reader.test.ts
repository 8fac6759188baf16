import { describe, expect, it, vi, type Mock } from 'vitest';
import type { ReaderEvent } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { VIRTUAL_READER_NAME, VirtualReader, type VirtualCard } from '../../main/card/virtual-reader';

function fakeCard(): VirtualCard & { powerDown: Mock<() => void> } {
  return {
    atr: new Uint8Array([0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14]),
    transmit: (command) => (command[1] === 0xa4 ? new Uint8Array([0x90, 0x00]) : new Uint8Array([0x6d, 0x00])),
    powerDown: vi.fn<() => void>(),
  };
}

function started() {
  const reader = new VirtualReader();
  const events: ReaderEvent[] = [];
  reader.start((event) => events.push(event));
  return { reader, events };
}

describe('the virtual reader', () => {
  it('announces its reader on start, and a card already inserted', () => {
    const reader = new VirtualReader();
    const card = fakeCard();
    reader.insert(card);
    const events: ReaderEvent[] = [];
    reader.start((event) => events.push(event));
    expect(events).toEqual([
      { type: 'reader-attached', reader: VIRTUAL_READER_NAME },
      { type: 'card-inserted', reader: VIRTUAL_READER_NAME, atr: card.atr },
    ]);
  });

  it('carries APDUs to the card and back', async () => {
    const { reader } = started();
    reader.insert(fakeCard());
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    expect([...(await connection.transmit(new Uint8Array([0x00, 0xa4, 0x04, 0x0c])))]).toEqual([0x90, 0x00]);
  });

  it('refuses to connect to an empty or unknown reader with a typed error', async () => {
    const { reader } = started();
    await expect(reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).rejects.toMatchObject({ code: 'no-card' });
    await expect(reader.connect('elsewhere', { exclusive: true })).rejects.toBeInstanceOf(ReaderError);
  });

  it('powers the card down and fails the open connection when the card is pulled', async () => {
    const { reader, events } = started();
    const card = fakeCard();
    reader.insert(card);
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    reader.remove();
    expect(card.powerDown).toHaveBeenCalled();
    await expect(connection.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toMatchObject({ code: 'card-removed' });
    expect(events.at(-1)).toEqual({ type: 'card-removed', reader: VIRTUAL_READER_NAME });
  });

  it('unpowers the card on disconnect only when asked', async () => {
    const { reader } = started();
    const card = fakeCard();
    reader.insert(card);
    await (await reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).disconnect({ unpower: false });
    expect(card.powerDown).not.toHaveBeenCalled();
    await (await reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).disconnect({ unpower: true });
    expect(card.powerDown).toHaveBeenCalledTimes(1);
  });

  it('reports the card removed before the reader when unplugged, and both back when plugged in', () => {
    const { reader, events } = started();
    const card = fakeCard();
    reader.insert(card);
    events.length = 0;
    reader.unplug();
    expect(events).toEqual([
      { type: 'card-removed', reader: VIRTUAL_READER_NAME },
      { type: 'reader-detached', reader: VIRTUAL_READER_NAME },
    ]);
    events.length = 0;
    reader.plugIn();
    expect(events).toEqual([
      { type: 'reader-attached', reader: VIRTUAL_READER_NAME },
      { type: 'card-inserted', reader: VIRTUAL_READER_NAME, atr: card.atr },
    ]);
  });

  it('is named "myna-kiosk virtual reader" unless given another name', async () => {
    expect(VIRTUAL_READER_NAME).toBe('myna-kiosk virtual reader');
    const reader = new VirtualReader('counter reader 2');
    const events: ReaderEvent[] = [];
    reader.start((event) => events.push(event));
    reader.insert(fakeCard());
    expect(events.map((event) => ('reader' in event ? event.reader : undefined))).toEqual(['counter reader 2', 'counter reader 2']);
    expect((await reader.connect('counter reader 2', { exclusive: true })).reader).toBe('counter reader 2');
    await expect(reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).rejects.toMatchObject({
      code: 'no-reader',
      message: 'no reader named "myna-kiosk virtual reader"',
    });
  });

  it('says whether a card is in it', () => {
    const { reader } = started();
    expect(reader.hasCard).toBe(false);
    reader.insert(fakeCard());
    expect(reader.hasCard).toBe(true);
    reader.remove();
    expect(reader.hasCard).toBe(false);
  });

  it("a second card inserted takes the first one's place: the first is removed and powered down first", async () => {
    const { reader, events } = started();
    const first = fakeCard();
    const second = fakeCard();
    reader.insert(first);
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    events.length = 0;
    reader.insert(second);
    expect(first.powerDown).toHaveBeenCalledTimes(1);
    expect(events).toEqual([
      { type: 'card-removed', reader: VIRTUAL_READER_NAME },
      { type: 'card-inserted', reader: VIRTUAL_READER_NAME, atr: second.atr },
    ]);
    await expect(connection.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toMatchObject({ code: 'card-removed' });
  });

  it('removing from an empty reader does nothing', () => {
    const { reader, events } = started();
    reader.remove();
    expect(events).toEqual([{ type: 'reader-attached', reader: VIRTUAL_READER_NAME }]);
  });

  it('an unplugged reader: nothing announced on start, no events for cards, no connection', async () => {
    const reader = new VirtualReader();
    reader.unplug();
    const events: ReaderEvent[] = [];
    reader.start((event) => events.push(event));
    const card = fakeCard();
    reader.insert(card);
    expect(events).toEqual([]);
    await expect(reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).rejects.toMatchObject({ code: 'no-reader' });
    reader.remove();
    expect(card.powerDown).toHaveBeenCalledTimes(1);
    expect(events).toEqual([]);
    reader.unplug();
    expect(events).toEqual([]);
  });

  it('plugging in a reader that is plugged in, or unplugging an empty one twice, announces nothing twice', () => {
    const { reader, events } = started();
    reader.plugIn();
    expect(events).toEqual([{ type: 'reader-attached', reader: VIRTUAL_READER_NAME }]);
    reader.unplug();
    reader.unplug();
    expect(events).toEqual([
      { type: 'reader-attached', reader: VIRTUAL_READER_NAME },
      { type: 'reader-detached', reader: VIRTUAL_READER_NAME },
    ]);
  });

  it('unplugging fails the open connection', async () => {
    const { reader } = started();
    const card = fakeCard();
    reader.insert(card);
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    reader.unplug();
    expect(card.powerDown).toHaveBeenCalledTimes(1);
    await expect(connection.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toMatchObject({ code: 'card-removed' });
    reader.plugIn();
    // The card is still in the reader, and a new connection reaches it.
    const again = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    expect([...(await again.transmit(new Uint8Array([0x00, 0xa4, 0x04, 0x0c])))]).toEqual([0x90, 0x00]);
  });

  it('after stop, nothing more is heard', () => {
    const { reader, events } = started();
    void reader.stop();
    reader.insert(fakeCard());
    reader.unplug();
    expect(events).toEqual([{ type: 'reader-attached', reader: VIRTUAL_READER_NAME }]);
  });

  it("a new connection ends the one before it; a connection shows the card's ATR", async () => {
    const { reader } = started();
    const card = fakeCard();
    reader.insert(card);
    const first = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    const second = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    expect(second.atr).toBe(card.atr);
    await expect(first.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toBeInstanceOf(ReaderError);
    // Disconnecting the ended one does not power down the card the new one is using.
    await first.disconnect({ unpower: true });
    expect(card.powerDown).not.toHaveBeenCalled();
    await second.disconnect({ unpower: false });
    await expect(second.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toMatchObject({ code: 'card-removed' });
  });

  it('refuses a connection to an empty reader, naming it', async () => {
    const { reader } = started();
    await expect(reader.connect(VIRTUAL_READER_NAME, { exclusive: true })).rejects.toMatchObject({
      code: 'no-card',
      message: 'no card in "myna-kiosk virtual reader"',
    });
  });

  it('can be handled before anyone listens: nothing is lost, start then tells the current state', () => {
    const reader = new VirtualReader();
    const card = fakeCard();
    reader.insert(card);
    reader.remove();
    reader.unplug();
    reader.insert(card);
    reader.plugIn();
    const events: ReaderEvent[] = [];
    reader.start((event) => events.push(event));
    expect(events).toEqual([
      { type: 'reader-attached', reader: VIRTUAL_READER_NAME },
      { type: 'card-inserted', reader: VIRTUAL_READER_NAME, atr: card.atr },
    ]);
  });

  it('a connection to a pulled card says the card was removed', async () => {
    const { reader } = started();
    reader.insert(fakeCard());
    const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    reader.remove();
    await expect(connection.transmit(new Uint8Array([0x00, 0xa4]))).rejects.toThrow(
      new ReaderError('card-removed', 'the card was removed'),
    );
  });
});
