import { describe, expect, it } from 'vitest';
import type { KioskEvent } from '../../preload/contract';
import { parseTerminalConfig } from '../../main/kiosk/config';
import { Kiosk, createKiosk } from '../../main/kiosk/kiosk';
import { createLogger, silentLogger } from '../../main/base/log';
import { VirtualReader } from '../../main/card/virtual-reader';

function kiosk(profile: 'lobby' | 'counter' | 'demo' = 'lobby') {
  const lines: string[] = [];
  const reader = new VirtualReader();
  const instance = new Kiosk(
    parseTerminalConfig({ profile, cardSource: 'virtual' }),
    reader,
    createLogger((line) => lines.push(line)),
  );
  const events: KioskEvent[] = [];
  instance.subscribe((event) => events.push(event));
  instance.start();
  return { instance, reader, events, lines };
}

describe('the kiosk', () => {
  it('starts on the attract screen in the configured language, with the reader state', () => {
    const { instance } = kiosk();
    expect(instance.snapshot()).toEqual({
      profile: 'lobby',
      cardSource: 'virtual',
      screen: 'attract',
      language: 'ja',
      reader: { state: 'waiting_for_card', readers: ['myna-kiosk virtual reader'] },
      takeCard: false,
      customerDisplay: false,
      printer: 'browser',
      today: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
  });

  it("speaks through the terminal's engine in the session's language; without one, answers with no audio", async () => {
    const said: Array<[string, string]> = [];
    const wav = Buffer.from('RIFF\0\0\0\0WAVE');
    const speech = {
      synthesize: (text: string, language: string) => {
        said.push([text, language]);
        return Promise.resolve(wav);
      },
    };
    const config = parseTerminalConfig({ profile: 'lobby', cardSource: 'virtual', defaultLanguage: 'en' });
    const voiced = new Kiosk(config, new VirtualReader(), silentLogger, { speech });
    expect(await voiced.receive({ type: 'SPEAK', text: 'Insert your card' }, 'ipc')).toEqual({ ok: true, audio: wav.toString('base64') });
    expect(said).toEqual([['Insert your card', 'en']]);
    // Control characters and overlong text never reach an engine.
    expect(await voiced.receive({ type: 'SPEAK', text: 'a\u0007b' }, 'ipc')).toEqual({ ok: false, error: 'invalid-command' });
    expect(await voiced.receive({ type: 'SPEAK', text: 'x'.repeat(401) }, 'ipc')).toEqual({ ok: false, error: 'invalid-command' });
    expect(said).toHaveLength(1);
    const mute = new Kiosk(config, new VirtualReader(), silentLogger);
    expect(await mute.receive({ type: 'SPEAK', text: 'Insert your card' }, 'ipc')).toEqual({ ok: true });
  });

  it('refuses the demo idle switch without trainer tools', () => {
    const { instance } = kiosk('lobby');
    expect(instance.receive({ type: 'DEMO_IDLE_RESET', on: false }, 'ipc')).toEqual({ ok: false, error: 'not-now' });
  });

  it("gives today's date by its calendar, in Japan: a practice clock's day is what the slips print", () => {
    const practiceEvening = new Date('2031-04-09T15:30:00Z'); // 00:30 on 10 April in Japan
    const instance = new Kiosk(parseTerminalConfig({ profile: 'demo', cardSource: 'virtual' }), new VirtualReader(), silentLogger, {
      now: () => practiceEvening,
    });
    expect(instance.snapshot().today).toBe('2031-04-10');
  });

  it('hands out copies of its state, never the state itself', () => {
    const { instance } = kiosk();
    const copy = instance.snapshot();
    copy.language = 'en';
    expect(instance.snapshot().language).toBe('ja');
  });

  it('changes language on command and sends a snapshot', () => {
    const { instance, events } = kiosk();
    expect(instance.receive({ type: 'SET_LANGUAGE', language: 'en' }, 'ipc')).toEqual({ ok: true });
    expect(events.at(-1)).toMatchObject({ type: 'snapshot', state: { language: 'en' } });
  });

  it('goes back to the attract screen and the default language after the page was lost', () => {
    const { instance, lines } = kiosk();
    instance.receive({ type: 'SET_LANGUAGE', language: 'en' }, 'ipc');
    instance.rendererLost('render-process-gone:crashed');
    expect(instance.snapshot()).toMatchObject({ screen: 'attract', language: 'ja' });
    expect(lines.some((line) => line.includes('renderer-lost'))).toBe(true);
  });

  it('reports reader changes as a reader event and a new snapshot', () => {
    const { reader, events } = kiosk();
    events.length = 0;
    reader.unplug();
    expect(events).toEqual([
      { type: 'reader', status: { state: 'no_reader' } },
      { type: 'snapshot', state: expect.objectContaining({ reader: { state: 'no_reader' } }) },
    ]);
  });

  it('chooses the virtual reader for a demo terminal, whatever is plugged in', () => {
    expect(createKiosk(parseTerminalConfig({ profile: 'demo' }), silentLogger).reader.kind).toBe('virtual');
  });

  it('chooses PC/SC for a lobby terminal', () => {
    const service = { url: 'https://issuing.city.local:8443', certificate: 'terminal.pem', key: 'terminal-key.pem', ca: 'ca.pem' };
    expect(createKiosk(parseTerminalConfig({ profile: 'lobby', service }), silentLogger).reader.kind).toBe('pcsc');
  });
});
