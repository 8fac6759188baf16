import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebResponse } from '../../preload/contract';
import { silentLogger } from '../../main/base/log';
import { startWebHost, type WebHost } from '../../main/web-host/web-host';
import { holdSimulatedJlis } from '../support/hold-simulation';
import { scratchForFile } from '../support/scratch';

const RENDERER = new URL('../fixtures/renderer', import.meta.url).pathname;
const hosts: WebHost[] = [];

const SIM_DIR = scratchForFile('myna-kiosk-web-sim-');
holdSimulatedJlis(SIM_DIR);

async function host(profile: 'demo' | 'lobby' | 'counter' = 'demo') {
  const started = await startWebHost({ rendererRoot: RENDERER, profile, log: silentLogger, simDir: SIM_DIR });
  hosts.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((started) => started.close()));
});

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the bridge like the page does; resolves when open, or with the refusal status. */
function openBridge(started: WebHost, options: { token?: string; origin?: string; host?: string } = {}) {
  const url = `${started.origin.replace('http', 'ws')}/bridge?token=${encodeURIComponent(options.token ?? started.token)}`;
  const ws = new WebSocket(url, { origin: options.origin ?? started.origin, headers: options.host ? { host: options.host } : {} });
  const messages: WebResponse[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as WebResponse));
  const outcome = new Promise<'open' | number>((resolve) => {
    ws.on('open', () => resolve('open'));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
  const until = async (predicate: (all: WebResponse[]) => boolean) => {
    for (let i = 0; i < 100 && !predicate(messages); i++) await new Promise((r) => setTimeout(r, 10));
    return messages;
  };
  return { ws, messages, outcome, until };
}

describe('the web host', () => {
  it('listens on 127.0.0.1 only, with a token that differs per launch', async () => {
    const a = await host();
    const b = await host();
    expect(new URL(a.origin).hostname).toBe('127.0.0.1');
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(32);
    // The token travels in the fragment, never in a request line.
    expect(new URL(a.url).hash).toBe(`#token=${a.token}`);
  });

  it('serves the renderer with the CSP that allows only its own bridge', async () => {
    const started = await host();
    const response = await get(`${started.origin}/`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('<div id="root">');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`connect-src ws://127.0.0.1:${new URL(started.origin).port}`);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const started = await host();
    const response = await get(`${started.origin}/`, { host: 'evil.example:80' });
    expect(response.status).toBe(421);
  });

  it('does not serve files outside the renderer', async () => {
    const started = await host();
    expect((await get(`${started.origin}/../../package.json`)).status).toBe(404);
    expect((await get(`${started.origin}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });

  it.each([
    ['a wrong token', { token: 'not-the-token-but-long-enough-to-compare-xx' }],
    ['no token', { token: '' }],
    ['another origin', { origin: 'http://evil.example' }],
    ['another host name', { host: 'evil.example' }],
  ])('refuses a bridge connection with %s', async (_label, options) => {
    const started = await host();
    expect(await openBridge(started, options).outcome).toBe(403);
  });

  it('answers VIEW_READY with a snapshot of the demo kiosk on a virtual reader', async () => {
    const started = await host();
    const bridge = openBridge(started);
    expect(await bridge.outcome).toBe('open');
    bridge.ws.send(JSON.stringify({ id: 1, command: { type: 'VIEW_READY' } }));
    const messages = await bridge.until((all) => all.some((m) => m.kind === 'result'));
    expect(messages).toContainEqual({ kind: 'result', id: 1, result: { ok: true } });
    const snapshot = messages.find((m) => m.kind === 'event' && m.event.type === 'snapshot');
    expect(snapshot).toMatchObject({
      event: { state: { profile: 'demo', cardSource: 'virtual', screen: 'attract', reader: { state: 'waiting_for_card' } } },
    });
    bridge.ws.close();
  });

  it.each(['demo', 'lobby', 'counter'] as const)('never opens a real reader, even on the %s profile', async (profile) => {
    const started = await host(profile);
    expect(started.kiosk.reader.kind).toBe('virtual');
    expect(started.kiosk.snapshot().cardSource).toBe('virtual');
    expect(started.kiosk.snapshot().profile).toBe(profile);
  });

  it('refuses unknown and malformed commands, and closes on a malformed envelope', async () => {
    const started = await host();
    const bridge = openBridge(started);
    await bridge.outcome;
    bridge.ws.send(JSON.stringify({ id: 7, command: { type: 'FORMAT_CARD' } }));
    bridge.ws.send(JSON.stringify({ id: 8, command: { type: 'SET_LANGUAGE', language: 'klingon' } }));
    await bridge.until((all) => all.filter((m) => m.kind === 'result').length === 2);
    expect(bridge.messages).toContainEqual({ kind: 'result', id: 7, result: { ok: false, error: 'unknown-command' } });
    expect(bridge.messages).toContainEqual({ kind: 'result', id: 8, result: { ok: false, error: 'invalid-command' } });
    const closed = new Promise<number>((resolve) => bridge.ws.on('close', (code) => resolve(code)));
    bridge.ws.send('not json');
    expect(await closed).toBe(1008);
  });

  it('reports the reader state changes to every connected page', async () => {
    const started = await host();
    const bridge = openBridge(started);
    await bridge.outcome;
    started.reader.unplug();
    const messages = await bridge.until((all) => all.some((m) => m.kind === 'event' && m.event.type === 'reader'));
    expect(messages).toContainEqual({ kind: 'event', event: { type: 'reader', status: { state: 'no_reader' } } });
    bridge.ws.close();
  });

  it('runs a whole customer session on a demo card through the bridge, and never sends a PIN back', { timeout: 60_000 }, async () => {
    const started = await host('demo');
    const bridge = openBridge(started);
    await bridge.outcome;
    let id = 1;
    const send = (command: unknown) => bridge.ws.send(JSON.stringify({ id: id++, command }));
    const latest = () => [...bridge.messages].reverse().find((m) => m.kind === 'event' && m.event.type === 'snapshot');
    type State = { screen: string; demo: { personas: { id: string }[] }; session?: { screen: string; pin?: { name: string } } };
    const waitFor = async (predicate: (state: State) => boolean) => {
      for (let i = 0; i < 600; i++) {
        const snapshot = latest();
        if (snapshot?.kind === 'event' && snapshot.event.type === 'snapshot' && predicate(snapshot.event.state as State))
          return snapshot.event.state as State;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`timed out; last state ${JSON.stringify(latest())}`);
    };
    send({ type: 'VIEW_READY' });
    const ready = await waitFor((state) => state.screen === 'attract');
    expect(ready.demo.personas.map((persona) => persona.id)).toContain('standard-in-window');

    // Out of hours the demo still runs the offline checks; the session itself decides, the bridge only carries it.
    send({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' });
    const pins: Record<string, string> = { authentication: '1234', signature: 'ABC123', registry: '1234' };
    for (;;) {
      const state = await waitFor(
        (s) => s.screen === 'session' && ['status', 'pin-entry', 'confirm', 'done', 'hand-off'].includes(s.session!.screen),
      );
      const screen = state.session!.screen;
      if (screen === 'done' || screen === 'hand-off') break;
      if (screen === 'status') send({ type: 'SESSION', intent: { type: 'CONTINUE' } });
      if (screen === 'pin-entry') send({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: pins[state.session!.pin!.name] } });
      if (screen === 'confirm') send({ type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } });
      await waitFor((s) => s.session?.screen !== screen || (screen === 'pin-entry' && s.session?.pin?.name !== state.session!.pin!.name));
    }
    send({ type: 'DEMO_REMOVE_CARD' });
    await waitFor((state) => state.screen === 'attract' && state.session === undefined);

    const everything = JSON.stringify(bridge.messages);
    expect(everything).not.toContain('ABC123');
    expect(everything).not.toMatch(/"1234"/);
    bridge.ws.close();
  });

  it('refuses a session intent when no session runs, and an unknown persona', async () => {
    const started = await host('demo');
    expect(started.kiosk.receive({ type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } }, 'web')).toEqual({ ok: false, error: 'not-now' });
    expect(started.kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'nobody-at-all' }, 'web')).toEqual({ ok: false, error: 'not-now' });
    expect(started.kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '12 34' } }, 'web')).toEqual({
      ok: false,
      error: 'invalid-command',
    });
  });
});
