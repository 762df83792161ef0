import { appendFileSync, constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isReadMethod, resourceIdsOf, type AuditLine } from '../../../src/audit/audit-line.js';
import { readAuditLines } from '../../../src/audit/audit-reader.js';
import { AuditWriteError, AuditWriter } from '../../../src/audit/audit-writer.js';
import { createLogger } from '../../../src/logging/logger.js';

/** The audit trail's files (issue #12): daily rotation, durable appends, an unwritable path, reading back. */

const logger = createLogger({ level: 'silent', role: 'test' });
const dirs: string[] = [];
const writers: AuditWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'homecore-audit-'));
  dirs.push(d);
  return d;
}

function writer(dir: string, extra: { minFreeBytes?: number; maxBufferedLines?: number; syncIntervalMs?: number } = {}): AuditWriter {
  const w = new AuditWriter({
    dir, tag: 'host-a', flushIntervalMs: 60_000, maxBufferedLines: extra.maxBufferedLines ?? 1000, minFreeBytes: extra.minFreeBytes ?? 0, logger,
    ...(extra.syncIntervalMs === undefined ? {} : { syncIntervalMs: extra.syncIntervalMs }),
  });
  writers.push(w);
  return w;
}

let n = 0;
function line(time: number, over: Partial<AuditLine> = {}): AuditLine {
  n += 1;
  return { id: `l${n}`, time, user: 'alice', userId: 'uid-alice', accessId: 'acc1', method: 'events.get', resources: [], status: 200, error: null, ip: '127.0.0.1', userAgent: 'ua', transport: 'http', ...over };
}

async function all(dir: string, f: Parameters<typeof readAuditLines>[1]): Promise<AuditLine[]> {
  const out: AuditLine[] = [];
  for await (const l of readAuditLines(dir, f)) out.push(l);
  return out;
}

/** The open flags of this process's descriptors on `file` (Linux /proc). */
function openFlags(file: string): number[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== file) return [];
      return [Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8)];
    } catch {
      return [];
    }
  });
}

const DAY1 = Date.UTC(2026, 11, 1, 23, 59, 59) / 1000;
const DAY2 = Date.UTC(2026, 11, 2, 0, 0, 1) / 1000;

describe('AuditWriter', () => {
  it('rotates daily: a line goes to the file of its UTC day, named with the host tag', async () => {
    const dir = tmp();
    const w = writer(dir);
    await w.appendDurable(line(DAY1));
    await w.appendDurable(line(DAY2));
    w.append(line(DAY2 + 1));
    await w.flushAll();
    expect(readdirSync(dir).sort()).toEqual(['audit-2026-12-01.host-a.jsonl', 'audit-2026-12-02.host-a.jsonl']);
    const day2 = readFileSync(join(dir, 'audit-2026-12-02.host-a.jsonl'), 'utf8').trim().split('\n');
    expect(day2.map((t) => (JSON.parse(t) as AuditLine).time)).toEqual([DAY2, DAY2 + 1]);
  });

  it('a durable append resolves with the line in the file; a buffered one waits for the flush', async () => {
    const dir = tmp();
    const w = writer(dir);
    w.append(line(DAY1, { method: 'streams.get' }));
    expect(readdirSync(dir)).toEqual([]);
    // The durable append takes what was buffered with it (one write, one fdatasync).
    await w.appendDurable(line(DAY1, { method: 'streams.create' }));
    const text = readFileSync(join(dir, 'audit-2026-12-01.host-a.jsonl'), 'utf8');
    expect(text.trim().split('\n').map((t) => (JSON.parse(t) as AuditLine).method)).toEqual(['streams.get', 'streams.create']);
  });

  it('group commit: durable appends made in the same turn of the event loop share one batch (one sync)', async () => {
    const dir = tmp();
    const w = writer(dir);
    // As the writes whose database answers arrive in one poll phase call it.
    await Promise.all([1, 2, 3, 4].map((i) => w.appendDurable(line(DAY1, { method: `events.create${i}` }))));
    expect(w.batches).toBe(1);
    const text = readFileSync(join(dir, 'audit-2026-12-01.host-a.jsonl'), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(4);
  });

  it('durable batches go through an O_DSYNC descriptor; sync() covers lines written plainly before it', async () => {
    const dir = tmp();
    const w = writer(dir);
    const file = join(dir, 'audit-2026-12-01.host-a.jsonl');
    const flags = (): number[] => openFlags(file);
    w.append(line(DAY1, { method: 'events.get' }));
    await w.flushAll();
    expect(flags().map((f) => (f & constants.O_DSYNC) !== 0)).toEqual([false]);
    await w.appendDurable(line(DAY1, { method: 'events.create' }));
    expect(flags().map((f) => (f & constants.O_DSYNC) !== 0).sort()).toEqual([false, true]);
    w.append(line(DAY1, { method: 'events.update' }));
    await w.flushAll();
    await w.sync();
    await w.appendDurable(line(DAY1, { method: 'events.delete' }));
    const methods = readFileSync(file, 'utf8').trim().split('\n').map((t) => (JSON.parse(t) as AuditLine).method);
    expect(methods).toEqual(['events.get', 'events.create', 'events.update', 'events.delete']);
  });

  it('a written append resolves with the line in the file, unsynced; the background sync follows within syncIntervalMs', async () => {
    const dir = tmp();
    const w = writer(dir, { syncIntervalMs: 50 });
    const file = join(dir, 'audit-2026-12-01.host-a.jsonl');
    await Promise.all([1, 2, 3].map((i) => w.appendWritten(line(DAY1, { method: `events.create${i}` }))));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    // In the file through the plain descriptor only: no O_DSYNC write, no sync yet.
    expect(openFlags(file).map((f) => (f & constants.O_DSYNC) !== 0)).toEqual([false]);
    expect(w.syncs).toBe(0);
    const deadline = Date.now() + 5000;
    while (w.syncs === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(w.syncs).toBe(1);
    // Nothing new written: no further sync.
    await new Promise((r) => setTimeout(r, 150));
    expect(w.syncs).toBe(1);
  });

  it('close() syncs what was written plainly; sync(false) waits for the write only', async () => {
    const dir = tmp();
    const w = writer(dir);
    w.append(line(DAY1, { method: 'events.get' }));
    await w.sync(false);
    expect(readFileSync(join(dir, 'audit-2026-12-01.host-a.jsonl'), 'utf8')).toContain('events.get');
    expect(w.syncs).toBe(0);
    await w.close();
    expect(w.syncs).toBe(1);
  });

  it('an unwritable path: durable appends reject, health fails, buffered lines wait and go once it is back', async () => {
    const parent = tmp();
    const dir = join(parent, 'audit');
    // A file where the directory should be: unwritable even for root.
    writeFileSync(dir, 'not a directory');
    const w = writer(dir);
    await expect(w.appendDurable(line(DAY1))).rejects.toBeInstanceOf(AuditWriteError);
    expect(w.writable).toBe(false);
    const h = await w.health();
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/not writable/);
    w.append(line(DAY1, { method: 'events.getOne' }));
    await w.flushAll();
    expect(w.pendingLines).toBe(1);
    rmSync(dir);
    expect((await w.health()).ok).toBe(true);
    await w.flushAll();
    expect(w.writable).toBe(true);
    expect((await all(dir, { from: 0, to: DAY2 })).map((l) => l.method)).toEqual(['events.getOne']);
  });

  it('a path below audit.minFreeBytes counts as full: not writable, /ready detail says so', async () => {
    const w = writer(tmp(), { minFreeBytes: Number.MAX_SAFE_INTEGER });
    const h = await w.health();
    expect(h).toMatchObject({ ok: false });
    expect(h.detail).toMatch(/is full/);
    expect(w.writable).toBe(false);
  });

  it('keeps at most maxBufferedLines while the path is unwritable, counting the dropped ones', async () => {
    const parent = tmp();
    const dir = join(parent, 'audit');
    writeFileSync(dir, 'x');
    const w = writer(dir, { maxBufferedLines: 100 });
    for (let i = 0; i < 150; i++) w.append(line(DAY1));
    await w.flushAll();
    expect(w.pendingLines).toBe(100);
    expect(w.dropped).toBe(50);
  });
});

describe('readAuditLines', () => {
  it('reads every machine\'s file of each day, filters, orders by time both ways, skips torn lines', async () => {
    const dir = tmp();
    const a = writer(dir);
    await a.appendDurable(line(DAY1 - 10, { user: 'bob' }));
    await a.appendDurable(line(DAY1 - 5));
    await a.appendDurable(line(DAY2 + 5, { method: 'streams.create', accessId: 'acc2' }));
    // A second machine's file of day 2, and a torn line (crash mid-write).
    appendFileSync(join(dir, 'audit-2026-12-02.host-b.jsonl'), `${JSON.stringify(line(DAY2 + 1))}\n{"id":"torn","ti`);
    const asc = await all(dir, { user: 'alice', from: 0, to: DAY2 + 100 });
    expect(asc.map((l) => l.time)).toEqual([DAY1 - 5, DAY2 + 1, DAY2 + 5]);
    const desc = await all(dir, { user: 'alice', from: 0, to: DAY2 + 100, descending: true });
    expect(desc.map((l) => l.time)).toEqual([DAY2 + 5, DAY2 + 1, DAY1 - 5]);
    expect((await all(dir, { from: DAY2, to: DAY2 + 100, accessIds: ['acc2'] })).map((l) => l.method)).toEqual(['streams.create']);
    expect((await all(dir, { from: 0, to: DAY1 })).map((l) => l.user)).toEqual(['bob', 'alice']);
    expect(await all(join(dir, 'missing'), { from: 0, to: DAY2 })).toEqual([]);
  });
});

describe('audit line helpers', () => {
  it.each([
    ['events.get', true], ['events.getOne', true], ['accesses.checkApp', true], ['series.get', true], ['events.getAttachment', true],
    ['events.create', false], ['auth.login', false], ['account.changePassword', false], ['series.add', false], ['webhooks.test', false],
  ])('%s is a read: %s', (id, read) => {
    expect(isReadMethod(id)).toBe(read);
  });

  it('resource ids: the params\' ids, then the created item\'s, never content', () => {
    expect(resourceIdsOf({ id: 'e1', update: { content: 'secret' } }, undefined)).toEqual(['e1']);
    expect(resourceIdsOf({ streamIds: ['s1', 's2'], content: 'secret' }, { event: { id: 'e2', streamIds: ['s1', 's2'], content: 'x' } })).toEqual(['s1', 's2', 'e2']);
    expect(resourceIdsOf({ streams: ['a'] }, { kind: 'streamed', arrays: [] })).toEqual(['a']);
    // Results that are the user's content (a shared secret's payload, a profile) give no ids.
    expect(resourceIdsOf({ key: 'k.half' }, { secret: { id: 'inside-the-secret' } })).toEqual([]);
    expect(resourceIdsOf({}, { profile: { id: 'my-own-field', streamIds: ['x'] } })).toEqual([]);
    expect(resourceIdsOf({}, { sharedSecret: { id: 'ss1', key: 'ss1.half' }, webhook: { id: 'w1', url: 'https://x' } })).toEqual(['w1', 'ss1']);
  });
});
