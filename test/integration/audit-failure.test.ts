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
 * served (open); and audit.syncWrites: false. The lines themselves: audit-trail.test.ts.
 */

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';

describe('audit.syncWrites: false', () => {
  it('answers writes without waiting for the disk: their lines wait in the buffer like reads', async () => {
    const fast = await createApiTestApp({ HOMECORE_AUDIT__SYNC_WRITES: 'false', HOMECORE_AUDIT__FLUSH_INTERVAL_MS: '60000' });
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
