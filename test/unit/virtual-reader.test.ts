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
});
