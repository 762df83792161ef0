import { randomBytes } from 'node:crypto';

/**
 * A small API client for the HA scenarios (bin/ha-test): one user, one stream, events written with
 * client-chosen ids so every acknowledged write can be looked up afterwards.
 */
export interface Outcome {
  status: number;
  errorId: string | null;
}

export interface HaUser {
  username: string;
  token: string;
}

const PASSWORD = 'ha-test-password-1';

async function call(base: string, path: string, init: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: 'http://127.0.0.1' };
  if (init.token !== undefined) headers['authorization'] = init.token;
  const res = await fetch(new URL(path, base), {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  } catch {
    // Not from a core (e.g. the balancer's own error page): the status, and the text as the error.
    return { status: res.status, body: { error: { id: text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80) } } };
  }
}

/** Registers a user through `base`, logs in, creates stream `ha`. */
export async function haUser(base: string, hosting = 'default'): Promise<HaUser> {
  const username = `ha${randomBytes(5).toString('hex')}`;
  const reg = await call(base, 'reg/users', { method: 'POST', body: { username, password: PASSWORD, email: `${username}@example.test`, appId: 'ha-test', hosting } });
  if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call(base, `${username}/auth/login`, { method: 'POST', body: { username, password: PASSWORD, appId: 'ha-test' } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  const token = String(login.body['token']);
  const stream = await call(base, `${username}/streams`, { method: 'POST', token, body: { id: 'ha', name: 'HA' } });
  if (stream.status !== 201) throw new Error(`stream: ${stream.status} ${JSON.stringify(stream.body)}`);
  return { username, token };
}

/** A fresh event id in the legacy `c` + 24 shape SDKs send. */
export function eventId(): string {
  return `c${randomBytes(12).toString('hex')}`;
}

function outcome(r: { status: number; body: Record<string, unknown> }): Outcome {
  const error = r.body['error'] as { id?: string } | undefined;
  return { status: r.status, errorId: error?.id ?? null };
}

/** No HTTP answer: the error and its cause (fetch wraps the socket's). */
function transportError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return `${(err as Error).message}${cause === undefined ? '' : ` (${cause.code ?? ''} ${cause.message ?? ''})`}`;
}

export async function createEvent(base: string, u: HaUser, id: string): Promise<Outcome> {
  try {
    return outcome(await call(base, `${u.username}/events`, { method: 'POST', token: u.token, body: { id, streamIds: ['ha'], type: 'note/txt', content: id } }));
  } catch (err) {
    return { status: 0, errorId: transportError(err) };
  }
}

export async function readEvent(base: string, u: HaUser, id: string): Promise<Outcome> {
  try {
    return outcome(await call(base, `${u.username}/events/${id}`, { token: u.token }));
  } catch (err) {
    return { status: 0, errorId: transportError(err) };
  }
}
