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
  // Two minutes ahead: the master is ready well before, and the schedule is read once it is.
  const when = new Date(Date.now() + 120_000);
  at = `${String(when.getUTCHours()).padStart(2, '0')}:${String(when.getUTCMinutes()).padStart(2, '0')}`;
  core = await startCore({ env: { HOMECORE_BACKUP__SCHEDULE: JSON.stringify(at), HOMECORE_BACKUP__DIR: JSON.stringify(dir) } });
  await core.waitReady(90_000);
}, 120_000);
afterAll(async () => {
  await core?.kill();
});

describe('the nightly backup', () => {
  it('runs at backup.schedule and writes a verified backup directory', async () => {
    expect(core.entries().some((e) => e.msg === 'next backup')).toBe(true);
    const name = await pollUntil(
      () => readdirSync(dir).find((n) => !n.endsWith('.partial') && existsSync(join(dir, n, 'manifest.json'))),
      240_000, 1000, () => new Error(`no backup in ${dir} after 4 min (schedule ${at}); log:\n${core.tail(40)}`),
    );
    expect(name).toMatch(/_\d{4}-\d{2}-\d{2}-\d{4}$/);
    await pollUntil(() => core.entries().some((e) => e.msg === 'backup done'), 30_000, 500, () => new Error(core.tail(40)));
    expect(core.entries().some((e) => e.msg === 'backup complete')).toBe(true);
  }, 300_000);
});
