import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/util/backoff.js';
import type { CoreProcess } from '../helpers/core-process.js';
import type { HaProxy } from '../helpers/haproxy.js';
import { createEvent, eventId, haUser, readEvent, type HaUser } from './ha-client.js';
import {
  HOSTING, instancesSeenBy, membersSeenBy, registration, restartClone, startVotingClones, timed, waitLb, watchLb, type CloneName,
} from './voting-clones.js';

/**
 * Issue #13 with three clones of one core whose rqliteds all vote (A and B behind HAProxy, C the
 * third voter): an rqlited outage on one clone, a rolling upgrade through the balancer, SIGKILL of a
 * voting clone mid-traffic, then the survivor left without a quorum. Each step prints its figures.
 */
const exec = promisify(execFile);
/** Pairs started this soon after a clone's death may still fail (see the assertion). */
const DEATH_SETTLE_MS = 250;
const V2 = JSON.stringify({ appVersion: '0.2.0', migration: { version: 9101, name: 'test-expand-clones', sql: 'ALTER TABLE events ADD COLUMN clone_upgrade_note text' } });
let clones: Record<CloneName, CoreProcess>;
let lb: HaProxy;
let lbUrl: string;
let user: HaUser;
/** The clone behind the balancer left after the SIGKILL test. */
let survivor: 'a' | 'b' = 'b';

beforeAll(async () => {
  ({ clones, lb, lbUrl } = await startVotingClones());
  user = await haUser(`${lbUrl}/`, HOSTING);
}, 400_000);
afterAll(async () => {
  await lb?.stop();
  for (const name of ['c', 'b', 'a'] as const) await clones?.[name]?.kill().catch(() => undefined);
});

const say = (line: string): void => void process.stdout.write(`voting-clones: ${line}\n`);
const failingChecks = (body: Record<string, unknown>): string[] => ((body['failing'] ?? []) as { check: string }[]).map((f) => f.check);

/** Writers through the balancer: create an event, read it back; every outcome kept. */
interface Pair {
  start: number;
  end: number;
  ok: boolean;
  id: string;
  why: string;
}

function traffic(writers: number): { stop: () => Promise<void>; calls: Pair[]; ok: () => number } {
  const calls: Pair[] = [];
  let stopped = false;
  const run = async (): Promise<void> => {
    while (!stopped) {
      const id = eventId();
      const start = Date.now();
      const c = await createEvent(`${lbUrl}/`, user, id);
      const r = c.status === 201 ? await readEvent(`${lbUrl}/`, user, id) : { status: 0, errorId: 'not created' };
      calls.push({ start, end: Date.now(), ok: c.status === 201 && r.status === 200, id: c.status === 201 ? id : '', why: `create ${c.status} ${c.errorId ?? ''} read ${r.status} ${r.errorId ?? ''}` });
    }
  };
  const running = Array.from({ length: writers }, () => run());
  return {
    calls,
    ok: () => calls.filter((c) => c.ok).length,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

/** Polls GET `url` until it answers `status`: that answer and the ms waited. */
async function answered(url: string, status: number, timeoutMs: number): Promise<{ ms: number; answer: Awaited<ReturnType<typeof timed>> }> {
  const started = Date.now();
  for (;;) {
    const answer = await timed(url);
    if (answer.status === status) return { ms: Date.now() - started, answer };
    if (Date.now() - started > timeoutMs) throw new Error(`${url}: not ${status} after ${timeoutMs} ms (last ${answer.status})`);
    await sleep(50);
  }
}

describe('three voting clones', () => {
  it('all three rqliteds vote', async () => {
    const nodes = await membersSeenBy(clones.a);
    expect(nodes.map((n) => [n.id, n.voter, n.reachable]).sort()).toEqual([['single.a', true, true], ['single.b', true, true], ['single.c', true, true]]);
  });

  it("rqlited outage on one clone: its /ready 503 and registrations 503 at once; the leader's master marks its instance unavailable before its heartbeat is stale", async () => {
    const nodes = await membersSeenBy(clones.a);
    const leader = nodes.find((n) => n.leader)?.id;
    const victimName: CloneName = leader === 'single.c' ? 'b' : 'c';
    const victim = clones[victimName];
    const observer = clones[victimName === 'c' ? 'a' : 'c'];
    const pid = victim.rqlitedPid();
    expect(pid).not.toBeNull();
    const stoppedAt = Date.now();
    process.kill(pid ?? 0, 'SIGSTOP');
    try {
      const { ms: readyMs, answer: ready } = await answered(`${victim.urls.api}/ready`, 503, 15_000);
      expect(failingChecks(ready.body)).toContain('platformDb');
      let row = (await instancesSeenBy(observer)).find((i) => i.instance === `single.${victimName}`);
      await until('instance marked unavailable', async () => {
        row = (await instancesSeenBy(observer)).find((i) => i.instance === `single.${victimName}`);
        return row?.available === false;
      }, 20_000);
      const markedAt = Date.now();
      const reg = await timed(`${victim.urls.api}/reg/users`, registration('outage'));
      say(
        `rqlited of clone ${victimName} stopped (SIGSTOP, leader ${leader}): /ready 503 after ${readyMs} ms (${JSON.stringify(ready.body['failing'])}); ` +
          `instance marked unavailable after ${markedAt - stoppedAt} ms, reason "${row?.reason}", its heartbeat still fresh for ${(row?.staleAt ?? 0) - markedAt} ms; ` +
          `registration through it: ${reg.status} ${JSON.stringify(reg.body['error'])} in ${reg.ms} ms`,
      );
      expect(reg.status).toBe(503);
      // Refused by the readiness check (two probes of 500 ms), not after the client's 15 s of retries.
      expect(reg.ms).toBeLessThan(5_000);
      expect(reg.body['error']).toMatchObject({ id: 'api-unavailable', message: expect.stringMatching(/^The platform database is unavailable \(rqlited: /) });
      expect(row?.reason).toMatch(/^rqlited unreachable from single\./);
      // Marked by another master while the victim's own heartbeat was not yet stale.
      expect(row?.staleAt ?? 0).toBeGreaterThan(markedAt);
      // The core stays available: its other clones serve.
      expect((await instancesSeenBy(observer)).filter((i) => i.available).length).toBeGreaterThan(0);
    } finally {
      process.kill(pid ?? 0, 'SIGCONT');
    }
    const backMs = await until('clone ready again', async () => (await timed(`${victim.urls.api}/ready`)).status === 200, 30_000);
    const availableMs = await until('instance available again', async () => (await instancesSeenBy(observer)).find((i) => i.instance === `single.${victimName}`)?.available === true, 30_000);
    say(`after SIGCONT: /ready 200 after ${backMs} ms, instance available again ${availableMs} ms later`);
  }, 120_000);

  it('rolling upgrade through HAProxy: each clone drained (SIGTERM), upgraded and restarted, zero failed requests', async () => {
    const t = traffic(2);
    const phase = async (name: string, n: number): Promise<void> => {
      const target = t.ok() + n;
      await until(`${name}: ${n} more ok`, async () => t.ok() >= target, 90_000).catch((err: Error) => {
        throw new Error(`${err.message}; failures ${JSON.stringify(t.calls.filter((c) => !c.ok).slice(0, 5))}`);
      });
    };
    const timeline: string[] = [];
    const t0 = Date.now();
    const watch = watchLb(lb, t0);
    try {
      await phase('v1', 20);
      const migrate = await exec(resolve('bin/migrate'), [], { env: { ...clones.a.env, TEST_HOMECORE_UPGRADE: V2 } });
      expect(migrate.stdout).toMatch(/^\{"applied":\[9101\]\}\n/);
      await phase('v1 on the expanded schema', 20);
      for (const name of ['b', 'a'] as const) {
        const old = clones[name];
        const began = Date.now();
        timeline.push(`+${began - t0}ms SIGTERM clone ${name}`);
        old.signal('SIGTERM');
        const downMs = await waitLb(lb, `clone-${name}`, 'DOWN');
        expect(await old.waitExit(60_000)).toBe(0);
        const exitedMs = Date.now() - began;
        clones[name] = await restartClone(old, { TEST_HOMECORE_UPGRADE: V2 });
        const readyMs = Date.now() - began;
        const upMs = (await waitLb(lb, `clone-${name}`, 'UP')) + readyMs;
        timeline.push(`clone ${name}: DOWN at the balancer ${downMs} ms after SIGTERM, exited ${exitedMs} ms, v2 ready ${readyMs} ms, UP ${upMs} ms`);
        await phase(`after clone ${name}`, 20);
      }
    } finally {
      await t.stop();
    }
    const changes = await watch.stop();
    const failed = t.calls.filter((c) => !c.ok);
    const kinds = [...new Set(failed.map((f) => f.why))];
    const window = failed.length === 0 ? '' : ` from +${(failed[0]?.start ?? 0) - t0}ms to +${(failed.at(-1)?.start ?? 0) - t0}ms`;
    say(`rolling upgrade through HAProxy: ${t.calls.length} create + read pairs, ${failed.length} failed${window} ${JSON.stringify(kinds)}; ${timeline.join('; ')}`);
    say(`balancer states: ${changes.join('; ')}`);
    expect(failed.map((f) => f.why)).toEqual([]);
  }, 400_000);

  it('SIGKILL of a voting clone mid-traffic: only its in-flight requests fail, no acknowledged write lost, registrations still work', async () => {
    const writers = 4;
    const t = traffic(writers);
    await sleep(3000);
    // The leader if the balancer serves it (an election then runs under the traffic), else A.
    const leaderBefore = (await membersSeenBy(clones.c)).find((n) => n.leader)?.id;
    const victimName = leaderBefore === 'single.b' ? 'b' : 'a';
    survivor = victimName === 'a' ? 'b' : 'a';
    const victim = clones[victimName];
    const killAt = Date.now();
    victim.killSync();
    const deadMs = await until(`clone ${victimName} dead`, async () => victim.treePids().length === 0, 20_000);
    const deadAt = killAt + deadMs;
    const downMs = await waitLb(lb, `clone-${victimName}`, 'DOWN') + deadMs;
    let leaderAfter: string | undefined;
    const electedMs = await until('a leader among the survivors', async () => {
      leaderAfter = (await membersSeenBy(clones.c).catch(() => [])).find((n) => n.leader && n.reachable)?.id;
      return leaderAfter !== undefined && leaderAfter !== `single.${victimName}`;
    }, 30_000);
    let mark = { ms: -1, reason: '' };
    await until('the dead clone marked unavailable', async () => {
      const row = (await instancesSeenBy(clones.c).catch(() => [])).find((i) => i.instance === `single.${victimName}`);
      if (row?.available === false) mark = { ms: Date.now() - killAt, reason: row.reason };
      return row?.available === false;
    }, 30_000);
    await sleep(3000);
    await t.stop();
    const reg = await timed(`${lbUrl}/reg/users`, registration('afterkill'));
    const failed = t.calls.filter((c) => !c.ok);
    const later = t.calls.filter((c) => c.start > deadAt);
    const events = await timed(`${lbUrl}/${user.username}/events?streams[]=ha&limit=1000000`, { headers: { authorization: user.token } });
    const stored = new Set(((events.body['events'] ?? []) as { id: string }[]).map((e) => e.id));
    const lost = t.calls.filter((c) => c.ok && !stored.has(c.id));
    say(
      `SIGKILL of clone ${victimName} (leader before: ${leaderBefore}): ${t.calls.length} pairs, ${failed.length} failed ` +
        `(${failed.map((f) => `${f.why} started ${f.start - killAt} ms after the kill`).join(' | ')}); ` +
        `dead after ${deadMs} ms, DOWN at the balancer after ${downMs} ms, new leader ${leaderAfter} ${electedMs} ms after death; ` +
        `${later.length} pairs started after death (${later.filter((c) => !c.ok).length} failed); registration through the balancer ${reg.status} in ${reg.ms} ms; lost ${lost.length}; ` +
        `its instance marked unavailable ${mark.ms} ms after the kill ("${mark.reason}")`,
    );
    // As in clones-haproxy.test.ts: a pair started within DEATH_SETTLE_MS of the death may still
    // fail ("other side closed", seen 15–36 ms after the death, cause not pinned down); none later.
    for (const f of failed) expect(f.start).toBeLessThan(deadAt + DEATH_SETTLE_MS);
    // Before the kill, only the pairs then in flight (one per writer) may fail; pairs started while
    // the tree was dying may fail as well (clones-haproxy.test.ts).
    expect(failed.filter((f) => f.start < killAt).length).toBeLessThanOrEqual(writers);
    for (const f of failed) expect(f.end).toBeGreaterThanOrEqual(killAt);
    expect(later.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(reg.status).toBe(201);
  }, 120_000);

  it('the survivor without a quorum (C killed too): /ready 503 on platformDb, registrations 503, its users still served', async () => {
    const b = clones[survivor];
    clones.c.killSync();
    const { ms: readyMs, answer: ready } = await answered(`${b.urls.api}/ready`, 503, 30_000);
    const reg = await timed(`${b.urls.api}/reg/users`, registration('noquorum'));
    const id = eventId();
    const write = await createEvent(`${b.urls.api}/`, user, id);
    const read = await readEvent(`${b.urls.api}/`, user, id);
    const viaLb = await timed(`${lbUrl}/${user.username}/events?limit=1`, { headers: { authorization: user.token } });
    say(
      `C killed, ${survivor} alone of 3 voters: /ready 503 after ${readyMs} ms (${JSON.stringify(ready.body['failing'])}); registration on it ${reg.status} ` +
        `${JSON.stringify(reg.body['error'])} in ${reg.ms} ms; events.create on it ${write.status}, events.getOne ${read.status}; events.get through the balancer ${viaLb.status}`,
    );
    expect(failingChecks(ready.body)).toEqual(['platformDb']);
    expect(reg.status).toBe(503);
    expect(reg.body['error']).toMatchObject({ id: 'api-unavailable', message: expect.stringMatching(/^The platform database is unavailable \(rqlited: /) });
    expect([write.status, read.status]).toEqual([201, 200]);
  }, 120_000);
});
