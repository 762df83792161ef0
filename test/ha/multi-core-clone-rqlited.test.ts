import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { CoreInstancesRepository } from '../../src/platform/core-instances.js';
import { clientOf, joinCore, membersOf, startCloneOf, startFirstCore, type PlatformCore } from '../helpers/cluster-platform.js';

/**
 * Issue #13 × #15: clones of a multi-core core that each run their own rqlited. core-a's first clone
 * (a1, `init`, the cluster's voter) and a second clone (a2, from a `new-clone` bundle, its Raft on
 * another address), core-b joined with `new-core`: one rqlite cluster over mutual TLS on the Raft
 * ports (.tools/rqlited 8.43.4 checks client certificates). Each rqlited has its own node id.
 */
const light = { HOMECORE_CLUSTER__API_WORKERS: '1', HOMECORE_CLUSTER__HFS_WORKERS: '0', HOMECORE_CLUSTER__PREVIEWS_WORKER: 'false', HOMECORE_CORE__AVAILABILITY_INTERVAL_MS: '500' };
let a1: PlatformCore;
let a2: PlatformCore;
let b: PlatformCore;
const say = (line: string): void => void process.stdout.write(`multi-core-clone-rqlited: ${line}\n`);

beforeAll(async () => {
  const t0 = Date.now();
  a1 = await startFirstCore('core-a', '127.0.0.71', { ...light, HOMECORE_CORE__CLONE_ID: 'a1' });
  b = await joinCore(a1, 'core-b', '127.0.0.72', light);
  a2 = await startCloneOf(a1, a1, 'a2', '127.0.0.73', light);
  say(`platform of 3 rqliteds up in ${Date.now() - t0} ms`);
}, 400_000);

afterAll(async () => {
  for (const x of [a2, b, a1]) await x?.core.kill().catch(() => undefined);
}, 60_000);

describe('clones of a multi-core core, each with its own rqlited over mutual TLS', () => {
  it('new-clone: the clone has the core identity, its own clone id, and a certificate naming its Raft IP', () => {
    const cfg = loadConfig({ env: a2.core.env });
    expect([cfg.core.id, cfg.core.cloneId, cfg.core.ip, cfg.platform.mode]).toEqual(['core-a', 'a2', '127.0.0.71', 'multi']);
    expect([cfg.platformDb.rqlited.nonVoter, [...cfg.platformDb.rqlited.join].sort()]).toEqual([true, [a1.raftAddress, b.raftAddress].sort()]);
    const cert = new X509Certificate(readFileSync(join(a2.core.varDir, 'cluster', 'node.crt')));
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(['DNS:core-a', 'DNS:core-a.cluster.homecore.test', 'IP Address:127.0.0.71', 'IP Address:127.0.0.73']);
    expect(cert.checkIssued(new X509Certificate(readFileSync(join(a1.core.varDir, 'cluster', 'ca.crt'))))).toBe(true);
  });

  it('every node sees the clone as a reachable non-voter with its own node id (Raft dialled over mutual TLS)', async () => {
    for (const via of [a1, b, a2]) {
      const m = await membersOf(via.core);
      say(`members seen from ${via.raftAddress}: ${JSON.stringify(m.map((x) => [x.id, x.addr, x.voter, x.reachable, x.leader]))}`);
      expect(m.map((x) => [x.id, x.addr, x.voter, x.reachable]).sort()).toEqual([
        ['core-a.a1', a1.raftAddress, true, true],
        ['core-a.a2', a2.raftAddress, false, true],
        ['core-b', b.raftAddress, false, true],
      ]);
    }
  });

  it("the clone writes through its own rqlited (forwarded to the leader) and reads other nodes' writes locally", async () => {
    const client = clientOf(a2.core, 5000);
    try {
      const repo = new CoreInstancesRepository(client);
      // Each master's heartbeat goes through its own rqlited: a2's row was written by a2's node.
      await a2.core.waitFor('both clones heartbeating', async () => {
        const rows = await repo.list('core-a');
        return rows.map((r) => [r.instance, r.available]).join() === 'core-a.a1,true,core-a.a2,true';
      }, 20_000, 200);
      // core-b's heartbeat, read from a2's own copy of the platform DB (level none: no leader involved).
      const local = await client.queryRows('SELECT instance, seen_at FROM core_instances WHERE core_id = ?', ['core-b'], 'none');
      expect(local.map((r) => r['instance'])).toEqual(['core-b']);
      const before = Number(local[0]?.['seen_at']);
      await a2.core.waitFor('a newer heartbeat of core-b replicated to a2', async () => {
        const rows = await client.queryRows('SELECT seen_at FROM core_instances WHERE core_id = ?', ['core-b'], 'none');
        return Number(rows[0]?.['seen_at']) > before;
      }, 20_000, 200);
    } finally {
      await client.close();
    }
  });

  it('the clone and both cores answer /ready 200 (the platform DB check passes through their own rqliteds)', async () => {
    for (const c of [a1, a2, b]) expect((await c.core.status(c.core.ports.api, '/ready')).status).toBe(200);
  });
});
