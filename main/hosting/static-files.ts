import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * Serves the built renderer for both hosts (Electron's `app://` protocol and
 * the web host). Only files inside the renderer folder can be reached; any
 * path that climbs out, or names something that is not a file, is a 404.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
};

export type StaticAsset = { status: 200; body: Buffer; contentType: string } | { status: 404 };

export async function loadStaticAsset(root: string, urlPathname: string): Promise<StaticAsset> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(urlPathname);
  } catch {
    return { status: 404 };
  }
  if (pathname.includes('\0')) return { status: 404 };
  if (pathname === '/' || pathname === '') pathname = '/index.html';

  const base = resolve(root);
  const target = resolve(base, `.${normalize(join(sep, pathname))}`);
  if (target !== base && !target.startsWith(base + sep)) return { status: 404 };

  try {
    const info = await stat(target);
    if (!info.isFile()) return { status: 404 };
    return {
      status: 200,
      body: await readFile(target),
      contentType: CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream',
    };
  } catch {
    return { status: 404 };
  }
}

/** Headers every renderer response carries, whichever host serves it. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}
