import pg from 'pg';
import { loadConfig } from '../../src/config/index.js';
import { pgAppSettings } from './pg-database.js';
import type { PlatformCore } from './cluster-platform.js';

/**
 * Registrations through real cores' HTTP API, and what each core's own database holds, for the
 * chaos tests of issue #15 (an rqlite leader killed during registrations).
 */
export interface Attempt {
  username: string;
  via: string;
  /** HTTP status; 0 when no answer came at all. */
  status: number;
  errorId: string | null;
}

export const PASSWORD = 'chaos-password-1';
const ORIGIN = 'http://127.0.0.1';

export const coreUrl = (p: PlatformCore): string => `http://127.0.0.1:${p.core.ports.api}/`;

async function json(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** POST /reg/users through `via` (Pryv API §4.2): the core places the user and answers for it. */
export async function registerVia(via: PlatformCore, username: string, hosting: string): Promise<Attempt> {
  try {
    const r = await json(new URL('reg/users', coreUrl(via)).href, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ username, password: PASSWORD, email: `${username}@example.test`, appId: 'cluster-chaos', hosting }),
    });
    const error = r.body['error'] as { id?: string } | undefined;
    return { username, via: via.id, status: r.status, errorId: error?.id ?? null };
  } catch {
    return { username, via: via.id, status: 0, errorId: null };
  }
}

/** The home core URL `via` gives for a username (GET /reg/cores), or null for an unknown user. */
export async function homeUrlOf(via: PlatformCore, username: string): Promise<string | null> {
  const r = await json(new URL(`reg/cores?username=${username}`, coreUrl(via)).href, { headers: { connection: 'close' } });
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`/reg/cores from ${via.id}: ${r.status} ${JSON.stringify(r.body)}`);
  return String((r.body['core'] as { url?: string } | undefined)?.url);
}

/** POST /{username}/auth/login on the user's home core: the status. */
export async function loginStatus(homeUrl: string, username: string): Promise<number> {
  const r = await json(new URL(`${username}/auth/login`, homeUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, connection: 'close' },
    body: JSON.stringify({ username, password: PASSWORD, appId: 'cluster-chaos' }),
  });
  return r.status;
}

/** Which of `usernames` have a row in this core's own PostgreSQL database. */
export async function usersInDatabase(p: PlatformCore, usernames: string[]): Promise<string[]> {
  const s = pgAppSettings(loadConfig({ env: p.core.env }));
  const client = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database });
  await client.connect();
  try {
    const { rows } = await client.query<{ username: string }>('SELECT username FROM users WHERE username = ANY($1) ORDER BY username', [usernames]);
    return rows.map((r) => r.username);
  } finally {
    await client.end();
  }
}
