import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { Readiness } from '../../src/health/readiness.js';
import { buildHfsApp } from '../../src/http/role-apps.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from './api-app.js';

/**
 * The series tests' fixture (series.test.ts, series-errors.test.ts): both apps that serve series,
 * the API app (:3000, where the SDK posts) and the HFS workers' app (:4000), on one real
 * PostgreSQL, a user with streams and app accesses, and the change notifications seen.
 */
export let t: ApiTestApp;
export let hfs: FastifyInstance;
export let u: TestUser;
export const tokens: Record<string, string> = {};
export const accessIds: Record<string, string> = {};
export const changes: string[] = [];
export const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });

export type AppName = 'api' | 'hfs';
export const APPS: AppName[] = ['api', 'hfs'];
export const appOf = (name: AppName): FastifyInstance => (name === 'api' ? t.app : hfs);

export interface Call {
  who?: string | null;
  payload?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}
export async function call(app: AppName, method: 'GET' | 'POST' | 'DELETE', path: string, c: Call = {}, user = u) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.who !== null) headers['authorization'] = tokens[c.who ?? 'P'] ?? c.who ?? '';
  const opts: InjectOptions = { method, url: path.startsWith('/') ? path : `/${user.username}/${path}`, headers };
  if (c.raw !== undefined) {
    opts.payload = c.raw;
    headers['content-type'] = 'application/json';
  } else if (c.payload !== undefined) opts.payload = c.payload as object;
  const res = await appOf(app).inject(opts);
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
export const flat = (fields: string[], points: unknown[][]) => ({ format: 'flatJSON', fields, points });

/** Holders start a day back: reads without toDeltaTime stop at the current time. */
export async function holder(type = 'series:mass/kg', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call('api', 'POST', 'events', { payload: { streamIds: ['weight'], type, time: Date.now() / 1000 - 86_400, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.event.id as string;
}
export async function write(app: AppName, id: string, body: unknown, who = 'P') {
  const res = await call(app, 'POST', `events/${id}/series`, { who, payload: body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
export async function points(app: AppName, id: string, query = '', who = 'P') {
  const res = await call(app, 'GET', `events/${id}/series${query}`, { who });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { format: string; fields: string[]; points: unknown[][]; meta: { serverTime: number } };
}
export async function event(id: string) {
  return (await call('api', 'GET', `events/${id}`)).body.event;
}
export async function access(name: string, perms: [string, Level][], extra: { expires?: number } = {}): Promise<void> {
  const a = await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })), ...extra });
  tokens[name] = a.token;
  accessIds[name] = a.id;
}

/** Registers the fixture's hooks in the calling test file. */
export function useSeriesFixture(): void {
  beforeAll(async () => {
    // Holder updates before the answer, so assertions need no waiting (coalescing has its own test).
    t = await createApiTestApp({ HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0' });
    hfs = await buildHfsApp(t.services, readiness);
    await hfs.ready();
    u = await t.createUser();
    tokens['P'] = u.token;
    for (const s of [{ id: 'body', name: 'body' }, { id: 'weight', name: 'weight', parentId: 'body' }, { id: 'diary', name: 'diary' }]) {
      expect((await call('api', 'POST', 'streams', { payload: s })).status).toBe(201);
    }
    await access('contributor', [['body', 'contribute']]);
    await access('createOnly', [['body', 'create-only']]);
    await access('reader', [['body', 'read']]);
    await access('diary', [['diary', 'contribute']]);
    await access('expired', [['body', 'manage']], { expires: Date.now() / 1000 - 10 });
    t.services.notifier = { emit: (_user, change) => changes.push(change) };
  });
  beforeEach(() => {
    changes.length = 0;
  });
  afterAll(async () => {
    await hfs?.close();
    await t?.close();
  });
}
