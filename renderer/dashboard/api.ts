import type { AlertView, DashboardError, Overview, SignInRequest, SignInResponse } from '../../preload/dashboard-contract';

/**
 * The dashboard API, same origin (preload/dashboard-contract.ts). The session
 * is an HttpOnly cookie the server sets: this page never sees it. Every POST
 * carries the header the server's CSRF guard asks for. Nothing here keeps,
 * logs or retries a request body: a passcode passes through `signIn` once.
 */

/** What a call can end with besides its answer: one of the API's refusals, or no answer at all. */
export type Problem = DashboardError['error'] | 'unreachable';
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export const CSRF_HEADER = 'x-myna-dashboard';

/** A request still unanswered after this long counts as unreachable, so a hung connection never freezes the page. */
const TIMEOUT_MS = 10_000;

const REFUSALS: readonly string[] = ['signed-out', 'refused', 'locked', 'invalid-request', 'not-found', 'server-error'] satisfies Problem[];

export function signIn(request: SignInRequest): Promise<Outcome<SignInResponse>> {
  return post<SignInResponse>('/api/sign-in', request);
}

export function signOut(): Promise<Outcome<Record<string, never>>> {
  return post('/api/sign-out', {});
}

export function fetchOverview(): Promise<Outcome<Overview>> {
  return call<Overview>('/api/overview', { method: 'GET', headers: { accept: 'application/json' } });
}

export function closeAlert(id: AlertView['id']): Promise<Outcome<Record<string, never>>> {
  return post(`/api/alerts/${encodeURIComponent(String(id))}/close`, {});
}

function post<T>(path: string, body: object): Promise<Outcome<T>> {
  return call<T>(path, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', [CSRF_HEADER]: '1' },
    body: JSON.stringify(body),
  });
}

async function call<T>(path: string, init: RequestInit): Promise<Outcome<T>> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    return { ok: false, problem: 'unreachable' };
  }
  let payload: unknown;
  try {
    payload = await response.json();
  } catch {
    payload = undefined;
  }
  if (response.ok) return payload === undefined ? { ok: false, problem: 'server-error' } : { ok: true, value: payload as T };
  return { ok: false, problem: refusal(response.status, payload) };
}

/** The refusal the server named, or, for an answer without one (a proxy's page, say), the one its status stands for. */
function refusal(status: number, payload: unknown): Problem {
  const named = typeof payload === 'object' && payload !== null ? (payload as { error?: unknown }).error : undefined;
  if (typeof named === 'string' && REFUSALS.includes(named)) return named as Problem;
  if (status === 401) return 'signed-out';
  if (status === 429) return 'locked';
  if (status === 400) return 'invalid-request';
  if (status === 404) return 'not-found';
  return 'server-error';
}
