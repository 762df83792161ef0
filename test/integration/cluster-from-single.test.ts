import { afterAll, expect, it } from 'vitest';
import { CoresRepository } from '../../src/platform/cores.js';
import { bootstrapCli, clientOf, membersOf } from '../helpers/cluster-platform.js';
import { startCore, type CoreProcess } from '../helpers/core-process.js';

/**
 * Issue #15: a single core becomes the first core of a platform by a config change only: `init`, a
 * restart, and its platform DB (rqlite node "single", Raft address moved from 127.0.0.1 to .5) is
 * kept. Needs a build (`tsc -p tsconfig.json`).
 */
const cores: CoreProcess[] = [];
afterAll(async () => {
  for (const c of cores.reverse()) await c.kill();
}, 60_000);

it('init + restart turns a running single core into a one-voter cluster with its data', { timeout: 240_000 }, async () => {
  const single = await startCore();
  cores.push(single);
  await single.waitReady(90_000);
  const before = clientOf(single, 5000);
  expect((await new CoresRepository(before).list()).map((c) => c.id)).toEqual(['single']);
  await before.execute(['CREATE TABLE keep_me (k TEXT PRIMARY KEY)', "INSERT INTO keep_me (k) VALUES ('written as a single core')"], { transaction: true });
  await before.close();
  single.signal('SIGTERM');
  expect(await single.waitExit(60_000)).toBe(0);

  let raft = '';
  const multi = await startCore({
    takeOver: single,
    envFor: (ports) => ({ HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `127.0.0.5:${ports.rqliteRaft}` }),
    prepare: async (env) => {
      raft = String(env['HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS']);
      const url = `http://127.0.0.1:${String(env['HOMECORE_HTTP__API_PORT'])}/`;
      const other = await bootstrapCli(['init', '--id', 'core-z', '--url', url, '--ip', '127.0.0.5', '--domain', 'single.homecore.test', '--raft-address', raft], env);
      expect(other.stderr.trim()).toBe('bootstrap init: this core already runs as "single" and core ids cannot change: use --id single');
      const r = await bootstrapCli(['init', '--url', url, '--ip', '127.0.0.5', '--domain', 'single.homecore.test', '--raft-address', raft], env);
      expect(r.code, r.stderr).toBe(0);
    },
  });
  cores.push(multi);
  await multi.waitReady(90_000);
  expect(multi.logs.some((l) => l.includes('peers.json recovery'))).toBe(true);
  const m = await membersOf(multi);
  expect(m.map((x) => [x.id, x.addr, x.voter, x.leader])).toEqual([['single', raft, true, true]]);
  const after = clientOf(multi, 5000);
  const kept = await after.queryRows('SELECT k FROM keep_me', [], 'linearizable');
  const registry = await new CoresRepository(after).list();
  await after.close();
  expect(kept).toEqual([{ k: 'written as a single core' }]);
  expect(registry.map((c) => [c.id, c.available])).toEqual([['single', true]]);
});
