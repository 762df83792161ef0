import { expect } from 'vitest';
import { randomUsername } from './api-app.js';

/** JSON over HTTP to a core started as a process (test/helpers/core-process.ts). */
export async function coreJson(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers['authorization'] = init.token;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Registers a fresh user on the core at `api` (no trailing slash) and creates one stream; answers the personal token. */
export async function registerWithStream(api: string, prefix: string, streamId: string): Promise<{ username: string; token: string }> {
  const username = randomUsername(prefix);
  const reg = await coreJson(`${api}/users`, { method: 'POST', body: { username, password: 'kill-test-pw-1', email: `${username}@example.test`, appId: 'kill-test' } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const token = decodeURIComponent(new URL(String(reg.body['apiEndpoint'])).username);
  expect((await coreJson(`${api}/${username}/streams`, { method: 'POST', token, body: { id: streamId, name: streamId } })).status).toBe(201);
  return { username, token };
}
