import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { attachmentsDirOf } from '../../src/storage/files/attachment-files.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from './api-app.js';

/**
 * The attachment tests' fixture (attachments.test.ts, attachments-changes.test.ts): an API app with
 * small attachment limits, a user with two streams and app accesses, and hand-written multipart bodies.
 */
export const MAX_BYTES = 64 * 1024;
export const MAX_FILES = 4;

export let t: ApiTestApp;
export let u: TestUser;
export let dir: string;
export const tokens: Record<string, string> = {};

export type Part = { name: string; value: string; type?: string } | { name: string; filename: string; type?: string; data: Buffer };

/** A multipart body written by hand, so part order, names and headers are exactly what a test says. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----hc${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = 'filename' in p ? `form-data; name="${p.name}"; filename="${p.filename}"` : `form-data; name="${p.name}"`;
    const type = p.type === undefined ? '' : `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push('filename' in p ? p.data : Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Every regular file under `root`, as paths relative to it. */
export function filesUnder(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => relative(root, join(d.parentPath, d.name)));
  } catch {
    return [];
  }
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');
export const url = (path: string, user = u): string => `/${user.username}${path}`;

export async function post(who: string, path: string, parts: Part[]) {
  const body = multipart(parts);
  const res = await t.app.inject({ method: 'POST', url: url(path), headers: { ...body.headers, authorization: tokens[who] ?? who }, payload: body.payload });
  return { status: res.statusCode, body: res.json() };
}
export async function call(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) {
  const res = await t.app.inject({ method, url: url(path), headers: { authorization: tokens[who] ?? who }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}
export async function app(name: string, perms: [string, Level][]): Promise<string> {
  const a = await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })) });
  tokens[name] = a.token;
  return a.id;
}

export const PNGISH = randomBytes(5000);
export const TEXT = Buffer.from('hello, attached world\n');
export const eventPart = (event: Record<string, unknown>): Part => ({ name: 'event', value: JSON.stringify(event) });

/** Registers the fixture's hooks in the calling test file. */
export function useAttachmentsFixture(): void {
  beforeAll(async () => {
    t = await createApiTestApp({
      HOMECORE_ATTACHMENTS__MAX_SIZE_BYTES: String(MAX_BYTES),
      HOMECORE_ATTACHMENTS__MAX_FILES_PER_REQUEST: String(MAX_FILES),
    });
    dir = attachmentsDirOf(t.config);
    u = await t.createUser();
    tokens['P'] = u.token;
    for (const id of ['photos', 'private']) expect((await call('P', 'POST', '/streams', { id, name: id })).status).toBe(201);
    await app('reader', [['photos', 'read']]);
    await app('contributor', [['photos', 'contribute']]);
    await app('privateReader', [['private', 'read']]);
  });
  afterAll(async () => {
    await t?.close();
  });
}
