/**
 * Electron shell: serves the built renderer from `app://kiosk/`, never from
 * file:// (which would give the page the whole disk as its origin).
 */
import { protocol, type Session } from 'electron';
import { APP_HOST, APP_SCHEME } from '../../preload/contract';
import { contentSecurityPolicy } from '../hosting/csp';
import { loadStaticAsset, securityHeaders } from '../hosting/static-files';

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // standard: relative URLs and 'self' work; secure: treated like https.
      // Nothing else: no fetch/CORS/streaming privileges the page does not need.
      privileges: { standard: true, secure: true },
    },
  ]);
}

export function serveRenderer(session: Session, rendererRoot: string): void {
  const headers = securityHeaders(contentSecurityPolicy());
  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') {
      return new Response('Not found', { status: 404, headers });
    }
    const asset = await loadStaticAsset(rendererRoot, url.pathname);
    if (asset.status === 404) return new Response('Not found', { status: 404, headers });
    return new Response(new Uint8Array(asset.body), {
      status: 200,
      headers: { ...headers, 'content-type': asset.contentType },
    });
  });
}
