/**
 * The renderer's Content-Security-Policy, one builder for both hosts so the
 * Electron protocol and the web host cannot drift apart. Everything is
 * served by the kiosk itself: no CDN, no remote font, no inline script.
 */
export function contentSecurityPolicy(options: { bridgeOrigin?: string } = {}): string {
  const directives: Record<string, string> = {
    'default-src': "'none'",
    'script-src': "'self'",
    'style-src': "'self'",
    'img-src': "'self' data:",
    'font-src': "'self'",
    'media-src': "'self'",
    // Inside Electron the bridge is IPC: the page has no reason to open any connection.
    'connect-src': options.bridgeOrigin ?? "'none'",
    'base-uri': "'none'",
    'form-action': "'none'",
    'frame-ancestors': "'none'",
    'object-src': "'none'",
  };
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}
