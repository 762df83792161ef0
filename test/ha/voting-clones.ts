import { randomBytes } from 'node:crypto';
import { members, type Member } from '../../src/cluster/membership.js';
import { CoreInstancesRepository, type InstanceRecord } from '../../src/platform/core-instances.js';
import { sleep } from '../../src/util/backoff.js';
import { clientOf } from '../helpers/cluster-platform.js';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { freePort } from '../helpers/free-port.js';
import { HaProxy } from '../helpers/haproxy.js';

/**
 * Three clones of one core whose rqliteds all vote (docs/operations.md#clones-of-one-core), clones A
 * and B behind HAProxy with config/haproxy.cfg, C the third voter outside the balancer. For
 * test/ha/voting-clones.test.ts.
 */
export const HOSTING = `vc-${randomBytes(3).toString('hex')}`;
export const HOSTS = { a: '127.0.0.41', b: '127.0.0.42', c: '127.0.0.43' } as const;
export type CloneName = keyof typeof HOSTS;

export interface VotingClones {
  clones: Record<CloneName, CoreProcess>;
  lb: HaProxy;
  lbUrl: string;
}

function common(lbUrl: string): Record<string, string> {
  return {
    HOMECORE_PLATFORM__PUBLIC_URL: `${lbUrl}/`,
    HOMECORE_SERVICE__HOME: `${lbUrl}/`,
    HOMECORE_REGISTRATION__HOSTING: HOSTING,
    HOMECORE_CLUSTER__API_WORKERS: '1',
    HOMECORE_CLUSTER__HFS_WORKERS: '0',
    HOMECORE_CLUSTER__PREVIEWS_WORKER: 'false',
    // The balancer needs inter × (fall + 1) = 3 s to take a draining clone out.
    HOMECORE_CLUSTER__DRAIN_MS: '3500',
  };
}

/** A, then B and C joining as voters; HAProxy over A and B once both are UP. */
export async function startVotingClones(): Promise<VotingClones> {
  const [api, hfs, stats] = [await freePort(), await freePort(), await freePort()];
  const lbUrl = `http://127.0.0.1:${api}`;
  const a = await startCore({ host: HOSTS.a, env: { ...common(lbUrl), HOMECORE_CORE__CLONE_ID: 'a' } });
  await a.waitReady(120_000, [a.ports.api]);
  const voter = (cloneId: 'b' | 'c'): Promise<CoreProcess> =>
    startCore({
      host: HOSTS[cloneId],
      cloneOf: { core: a, cloneId },
      env: { ...common(lbUrl), HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'false', HOMECORE_MIGRATIONS__AUTO_RUN: 'false' },
    });
  const b = await voter('b');
  await b.waitReady(120_000, [b.ports.api]);
  const c = await voter('c');
  await c.waitReady(120_000, [c.ports.api]);
  const lb = new HaProxy({
    HOMECORE_LB_API: `127.0.0.1:${api}`, HOMECORE_LB_HFS: `127.0.0.1:${hfs}`, HOMECORE_LB_STATS: `127.0.0.1:${stats}`,
    HOMECORE_CLONE_A_API: `${HOSTS.a}:${a.ports.api}`, HOMECORE_CLONE_B_API: `${HOSTS.b}:${b.ports.api}`,
    HOMECORE_CLONE_A_HFS: `${HOSTS.a}:${a.ports.hfs}`, HOMECORE_CLONE_B_HFS: `${HOSTS.b}:${b.ports.hfs}`,
  });
  await lb.start();
  const clones = { a, b, c };
  await waitLb(lb, 'clone-a', 'UP');
  await waitLb(lb, 'clone-b', 'UP');
  return { clones, lb, lbUrl };
}

/** Until the balancer's state of `server` (api backend) starts with `status`; ms waited. */
export async function waitLb(lb: HaProxy, server: string, status: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const s = await lb.state('homecore_api', server);
    if (s?.status.startsWith(status) === true) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${server} not ${status} after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

/** The Raft members as `core`'s rqlited sees them. */
export async function membersSeenBy(core: CoreProcess): Promise<Member[]> {
  const client = clientOf(core);
  try {
    return await members(client);
  } finally {
    await client.close();
  }
}

/** The core's instance rows (core_instances), read through `core`'s rqlited. */
export async function instancesSeenBy(core: CoreProcess): Promise<InstanceRecord[]> {
  const client = clientOf(core);
  try {
    return await new CoreInstancesRepository(client).list(String(core.env['HOMECORE_CORE__ID'] ?? 'single'));
  } finally {
    await client.close();
  }
}

/** A clone restarted on its var dir, ports and database with `extra` (e.g. the next release). */
export async function restartClone(old: CoreProcess, extra: Record<string, string>): Promise<CoreProcess> {
  const env = Object.fromEntries(Object.entries(old.env).filter(([k]) => k.startsWith('HOMECORE_'))) as Record<string, string>;
  const next = await startCore({ takeOver: old, env: { ...env, ...extra } });
  await next.waitReady(120_000, [next.ports.api]);
  return next;
}

/** One timed HTTP call; status 0 = no answer. */
export async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
  const started = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: res.status, ms: Date.now() - started, body };
  } catch (err) {
    return { status: 0, ms: Date.now() - started, body: { text: (err as Error).message } };
  }
}

/** A registration's request (JSON) for a fresh username. */
export function registration(prefix: string): RequestInit {
  const username = `${prefix}${randomBytes(5).toString('hex')}`;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'voting-clones-1', email: `${username}@example.test`, appId: 'ha-test', hosting: HOSTING }),
  };
}

/**
 * Records every change of the api backend's servers at the balancer (status, last check and its
 * answer: `L7STS`/503 is /ready refusing, `L7TOUT`/`L4TOUT` no answer in time), for the figures.
 */
export function watchLb(lb: HaProxy, t0: number): { stop: () => Promise<string[]> } {
  const seen = new Map<string, string>();
  const changes: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const text = await (await fetch(lb.statsUrl).catch(() => null))?.text().catch(() => '') ?? '';
      const [header, ...lines] = text.split('\n');
      const cols = (header ?? '').replace(/^# /, '').split(',');
      const at = (row: string[], name: string): string => row[cols.indexOf(name)] ?? '';
      for (const row of lines.map((l) => l.split(','))) {
        if (at(row, 'pxname') !== 'homecore_api' || !at(row, 'svname').startsWith('clone-')) continue;
        const state = `${at(row, 'status')} ${at(row, 'check_status')} ${at(row, 'check_code')} ${at(row, 'last_chk')}`;
        if (seen.get(at(row, 'svname')) !== state) changes.push(`+${Date.now() - t0}ms ${at(row, 'svname')}: ${state}`);
        seen.set(at(row, 'svname'), state);
      }
      await sleep(200);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return changes;
    },
  };
}
