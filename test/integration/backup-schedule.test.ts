import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { pollUntil } from '../helpers/core-waiting.js';

/**
 * backup.schedule (issue #12): the master runs bin/backup at the set UTC time, with its own
 * configuration, and passes its JSON log lines through.
 */
let core: CoreProcess;
let dir: string;
let at: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'homecore-scheduled-'));
  // Far enough ahead for a loaded machine's master to be ready (the schedule is read once it is);
  // seconds in the schedule spare the test a wait for the next minute boundary.
  const when = new Date(Date.now() + 45_000);
  at = when.toISOString().slice(11, 19);
  core = await startCore({ env: { HOMECORE_BACKUP__SCHEDULE: JSON.stringify(at), HOMECORE_BACKUP__DIR: JSON.stringify(dir) } });
  await core.waitReady(90_000);
}, 120_000);
afterAll(async () => {
  await core?.kill();
});

describe('the nightly backup', () => {
  it('runs at backup.schedule and writes a verified backup directory', async () => {
    // Today's run, not tomorrow's: a master that took longer than the margin to start would wait a day.
    const next = core.entries().find((e) => e.msg === 'next backup')?.next;
    expect(typeof next).toBe('string');
    expect(Date.parse(String(next)) - Date.now()).toBeLessThan(60_000);
    const name = await pollUntil(
      () => readdirSync(dir).find((n) => !n.endsWith('.partial') && existsSync(join(dir, n, 'manifest.json'))),
      150_000, 1000, () => new Error(`no backup in ${dir} after 2.5 min (schedule ${at}); log:\n${core.tail(40)}`),
    );
    expect(name).toMatch(/_\d{4}-\d{2}-\d{2}-\d{4}$/);
    await pollUntil(() => core.entries().some((e) => e.msg === 'backup done'), 30_000, 500, () => new Error(core.tail(40)));
    expect(core.entries().some((e) => e.msg === 'backup complete')).toBe(true);
  }, 300_000);
});
