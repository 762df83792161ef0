import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLine } from '../../src/audit/audit-line.js';
import { readAuditLines } from '../../src/audit/audit-reader.js';
import { auditDirOf } from '../../src/audit/audit-dir.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * The audit trail when it cannot be written (issue #12): writes refused (closed, the default) or
 * served (open); and audit.durability: buffer / fsync. The lines themselves: audit-trail.test.ts.
 */

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';

describe('audit.durability', () => {
  it.each([
    ['durability: buffer', { HOMECORE_AUDIT__DURABILITY: 'buffer' }],
    ['the deprecated syncWrites: false', { HOMECORE_AUDIT__SYNC_WRITES: 'false' }],
  ])('%s answers writes without waiting for the file: their lines wait in the buffer like reads', async (_name, env) => {
    const fast = await createApiTestApp({ ...env, HOMECORE_AUDIT__FLUSH_INTERVAL_MS: '60000' });
    try {
      const fu = await fast.createUser();
      const r = await fast.app.inject({ method: 'POST', url: `/${fu.username}/streams`, headers: { authorization: fu.token }, payload: { id: 'quick', name: 'Quick' } });
      expect(r.statusCode).toBe(201);
      expect(fast.services.audit?.pendingLines).toBe(1);
      await fast.services.audit?.flushAll();
      const written: AuditLine[] = [];
      for await (const l of readAuditLines(auditDirOf(fast.config), { user: fu.username, from: 0, to: Date.now() / 1000 + 1 })) written.push(l);
      expect(written.map((l) => [l.method, l.resources])).toEqual([['streams.create', ['quick']]]);
    } finally {
      await fast.close();
    }
  });

  it.each([
    ['write (the default): in the file, no disk sync before the answer', {}, 0],
    ['fsync: on disk before the answer', { HOMECORE_AUDIT__DURABILITY: 'fsync' }, 1],
    ['the deprecated syncWrites: true means fsync', { HOMECORE_AUDIT__SYNC_WRITES: 'true' }, 1],
  ])('%s', async (_name, env, syncs) => {
    const t = await createApiTestApp({ ...env, HOMECORE_AUDIT__FLUSH_INTERVAL_MS: '60000', HOMECORE_AUDIT__SYNC_INTERVAL_MS: '60000' });
    try {
      const tu = await t.createUser();
      const before = t.services.audit?.syncs ?? -1;
      const r = await t.app.inject({ method: 'POST', url: `/${tu.username}/streams`, headers: { authorization: tu.token }, payload: { id: 'kept', name: 'Kept' } });
      expect(r.statusCode).toBe(201);
      // The line is in the file when the answer arrives, whatever the mode, and nothing waits in memory.
      expect(t.services.audit?.pendingLines).toBe(0);
      const written: AuditLine[] = [];
      for await (const l of readAuditLines(auditDirOf(t.config), { user: tu.username, from: 0, to: Date.now() / 1000 + 1 })) written.push(l);
      expect(written.map((l) => l.method)).toContain('streams.create');
      expect((t.services.audit?.syncs ?? -1) - before).toBe(syncs);
    } finally {
      await t.close();
    }
  });
});

describe('an unwritable audit path (audit.onFailure: writes closed, reads open by default)', () => {
  let broken: ApiTestApp;
  let bu: TestUser;
  let parent: string;
  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'homecore-audit-broken-'));
    // A file where a directory should be: the path cannot be created, even by root.
    writeFileSync(join(parent, 'blocker'), 'not a directory');
    broken = await createApiTestApp({ HOMECORE_AUDIT__DIR: JSON.stringify(join(parent, 'blocker', 'audit')) });
    bu = await broken.createUser();
  });
  afterAll(async () => {
    await broken?.close();
    rmSync(parent, { recursive: true, force: true });
  });

  it('refuses writes with 503 audit-unavailable, serves reads, and health names the path', async () => {
    const h = await broken.services.audit?.health();
    expect(h?.ok).toBe(false);
    expect(h?.detail).toMatch(/not writable/);
    const inject = (method: Verb, path: string, payload?: object) =>
      broken.app.inject({ method, url: `/${bu.username}${path}`, headers: { authorization: bu.token }, ...(payload === undefined ? {} : { payload }) });
    const write = await inject('POST', '/streams', { id: 'refused', name: 'Refused' });
    expect(write.statusCode).toBe(503);
    expect(write.json().error).toMatchObject({ id: 'audit-unavailable', data: { applied: false } });
    // Nothing was written.
    const read = await inject('GET', '/streams');
    expect(read.statusCode).toBe(200);
    expect(JSON.stringify(read.json().streams)).not.toContain('refused');
  });

  it('with audit.onFailure.writes: open, writes are served (their lines wait in memory)', async () => {
    const open = await createApiTestApp({ HOMECORE_AUDIT__DIR: JSON.stringify(join(parent, 'blocker', 'audit')), HOMECORE_AUDIT__ON_FAILURE__WRITES: 'open' });
    try {
      const ou = await open.createUser();
      expect((await open.services.audit?.health())?.ok).toBe(false);
      const write = await open.app.inject({ method: 'POST', url: `/${ou.username}/streams`, headers: { authorization: ou.token }, payload: { id: 'served', name: 'Served' } });
      expect(write.statusCode).toBe(201);
      expect(open.services.audit?.pendingLines).toBeGreaterThanOrEqual(1);
    } finally {
      await open.close();
    }
  });
});
