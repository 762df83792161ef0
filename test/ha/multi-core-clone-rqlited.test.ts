import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { members } from '../../src/cluster/membership.js';
import { resolveRqlited } from '../../src/master/rqlited.js';
import { CoreInstancesRepository } from '../../src/platform/core-instances.js';
import { CoresRepository } from '../../src/platform/cores.js';
import { bootstrapCli, clientOf, joinCore, membersOf, startCloneOf, startFirstCore, type PlatformCore } from '../helpers/cluster-platform.js';
import { startCore } from '../helpers/core-process.js';
import { freePort } from '../helpers/free-port.js';

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
  // core-b's first master is a clone too (b1): its join is acknowledged under node id core-b.b1.
  b = await joinCore(a1, 'core-b', '127.0.0.72', { ...light, HOMECORE_CORE__CLONE_ID: 'b1' });
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
        ['core-b.b1', b.raftAddress, false, true],
      ]);
    }
  });

  it("core-b's join, made by its clone b1 (node id core-b.b1), was acknowledged: token burnt, both cores available", async () => {
    const client = clientOf(a2.core, 5000);
    try {
      const cores = await b.core.waitFor('core-b available', async () => {
        const list = await new CoresRepository(client).list();
        return list.every((c) => c.available) ? list : null;
      }, 20_000, 200);
      expect(cores.map((c) => [c.id, c.available])).toEqual([['core-a', true], ['core-b', true]]);
      const tokens = await client.queryRows('SELECT core_id, used_at FROM join_tokens', [], 'linearizable');
      expect(tokens.map((t) => [t['core_id'], t['used_at'] !== null])).toEqual([['core-b', true]]);
    } finally {
      await client.close();
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
      expect(local.map((r) => r['instance'])).toEqual(['core-b.b1']);
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

  it("a clone given a copy of the core's own certificate (no SAN for its address) stays unreachable: why new-clone exists", async () => {
    const cluster = join(a1.core.varDir, 'cluster');
    const dir = mkdtempSync(join(tmpdir(), 'homecore-copied-cert-'));
    const [http, raft] = [await freePort(), await freePort()];
    const args = ['-node-id', 'core-a.copied', '-http-addr', `127.0.0.1:${http}`, '-raft-addr', `127.0.0.74:${raft}`,
      '-auth', join(cluster, 'rqlite-auth.json'), '-join-as', 'homecore',
      '-node-cert', join(cluster, 'node.crt'), '-node-key', join(cluster, 'node.key'), '-node-ca-cert', join(cluster, 'ca.crt'), '-node-verify-client',
      '-raft-non-voter', '-join', a1.raftAddress, '-join-attempts', '3', '-join-interval', '1s', join(dir, 'data')];
    const child = spawn(resolveRqlited(loadConfig({ env: a1.core.env })).path, args, { stdio: 'ignore' });
    const client = clientOf(a1.core, 5000);
    try {
      // Its join (it dials the leader, whose certificate names the leader's IP) is accepted; the
      // leader dialling it back finds no SAN for 127.0.0.74 and never reaches it.
      const copied = await a1.core.waitFor('the copied-certificate node listed', async () => (await members(client)).find((m) => m.id === 'core-a.copied'), 30_000, 300);
      await new Promise((r) => setTimeout(r, 3000));
      const again = (await members(client)).find((m) => m.id === 'core-a.copied');
      say(`node with a copy of core-a's certificate on 127.0.0.74: ${JSON.stringify(copied)} then ${JSON.stringify(again)}`);
      expect([again?.voter, again?.reachable]).toEqual([false, false]);
      expect((await members(client)).find((m) => m.id === 'core-a.a2')?.reachable).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await client.close();
    }
  });

  it('new-clone refuses an unknown core, a Raft address in use and a clone id that is a reachable member', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'homecore-new-clone-')), 'x.bundle');
    const refusal = async (args: string[]): Promise<string> => {
      const r = await bootstrapCli(['new-clone', ...args, '--out', out], a1.core.env);
      expect(r.code, r.stdout).toBe(1);
      return r.stderr.trim();
    };
    expect(await refusal(['--id', 'core-z', '--clone-id', 'z2', '--raft-address', '127.0.0.75:4002'])).toBe('bootstrap new-clone: unknown core core-z: add it with new-core first');
    expect(await refusal(['--clone-id', 'a3', '--raft-address', b.raftAddress])).toBe(`bootstrap new-clone: Raft address ${b.raftAddress} is already used by core-b.b1`);
    expect(await refusal(['--clone-id', 'a2', '--raft-address', '127.0.0.75:4002'])).toBe('bootstrap new-clone: core-a.a2 is a reachable cluster member: stop it first, or pick another --clone-id');
    expect(existsSync(out)).toBe(false);
  });

  it('remove-core <core>.<clone> refuses a reachable clone and takes a lost one out of the cluster', async () => {
    const refused = await bootstrapCli(['remove-core', 'core-a.a2'], b.core.env);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, 'bootstrap remove-core: core-a.a2 is reachable from this core: stop it before removing it']);
    const removed = await bootstrapCli(['remove-core', 'core-a.copied'], b.core.env);
    expect([removed.code, removed.stdout.trim()], removed.stderr).toEqual([0, 'core-a.copied removed from the cluster; core-a and its other clones unchanged']);
    expect((await membersOf(a1.core)).map((m) => m.id).sort()).toEqual(['core-a.a1', 'core-a.a2', 'core-b.b1']);
  });

  it('the clone restarts from its var dir (no bundle, no join flags) and is a reachable member again', async () => {
    a2.core.signal('SIGTERM');
    expect(await a2.core.waitExit(60_000)).toBe(0);
    expect(existsSync(join(a2.core.varDir, 'rqlite', 'homecore-joined'))).toBe(true);
    const core = await startCore({ takeOver: a2.core, cloneOf: { core: a1.core, cloneId: 'a2', viaBundle: true }, env: { HOMECORE_MIGRATIONS__AUTO_RUN: 'false', ...light } });
    a2 = { ...a2, core };
    await core.waitReady(90_000, [core.ports.api]);
    // core-b's pooled Raft connections to the old process may fail one probe first.
    const m = await core.waitFor('core-b reaching the restarted clone', async () => {
      const x = (await membersOf(b.core)).find((n) => n.id === 'core-a.a2');
      return x?.reachable === true ? x : null;
    }, 20_000, 300);
    expect([m.addr, m.voter]).toEqual([a2.raftAddress, false]);
    const client = clientOf(b.core, 5000);
    try {
      await core.waitFor('the restarted clone heartbeating', async () => (await new CoreInstancesRepository(client).list('core-a')).find((r) => r.instance === 'core-a.a2')?.available === true, 20_000, 200);
    } finally {
      await client.close();
    }
  });
});
