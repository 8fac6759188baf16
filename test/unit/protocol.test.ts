import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fakes/electron'));

import { createFakeSession, protocol } from './fakes/electron';
import { registerAppScheme, serveRenderer } from '../../main/shell/protocol';

const RENDERER = new URL('../fixtures/renderer', import.meta.url).pathname;

function servedSession() {
  const session = createFakeSession();
  serveRenderer(session as never, RENDERER);
  const handler = session.protocolHandlers.get('app');
  if (!handler) throw new Error('no app:// handler registered');
  return handler;
}

describe('the app:// protocol', () => {
  it('is registered as a standard, secure scheme with no extra privileges', () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'app', privileges: { standard: true, secure: true } }]);
  });

  it('serves the renderer with the strict CSP and nosniff', async () => {
    const response = await servedSession()(new Request('app://kiosk/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<div id="root">');
  });

  it('serves / as index.html', async () => {
    const response = await servedSession()(new Request('app://kiosk/'));
    expect(response.status).toBe(200);
  });

  it.each([
    'app://kiosk/../../../etc/passwd',
    'app://kiosk/%2e%2e/%2e%2e/etc/passwd',
    'app://kiosk/%2e%2e%2fpackage.json',
    'app://kiosk/missing.js',
  ])('answers 404 for %s', async (url) => {
    const response = await servedSession()(new Request(url));
    expect(response.status).toBe(404);
  });

  it('answers 404 for another host and for anything but GET', async () => {
    const handler = servedSession();
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handler(new Request('app://kiosk/index.html', { method: 'POST', body: 'x' }))).status).toBe(404);
  });
});
