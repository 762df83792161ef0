import { randomBytes } from 'node:crypto';
import { expectStatus, field } from './http.ts';
import type { ScaleOptions } from './scale-args.ts';
import { cpuSnapshot, cpuUsage, type CpuGroups, type CpuSnapshot } from './procs.ts';
import { batch, countEvents, register, RESTRICTED_PERMISSIONS, streamLayout, type Seed, type SeededUser } from './seed.ts';

/**
 * The scale data set (bench/run --scale-test), through the public API only: registrations (one
 * scrypt each on the core), one batch call of 70 streams.create per user (the small data set's
 * layout), then batch calls of events.create; and one big user with many streams and events.
 * Events are 100 a day back from now on every user (as in the small data set), so a 1-day time
 * range returns about 100 events whatever the user's size.
 */

const EVENTS_PER_DAY = 100;
const DAY = 86_400;

/** One seeding phase: how much, how fast, and the core's CPU per call (by process role). */
export interface PhaseStat {
  items: number;
  calls: number;
  seconds: number;
  perSecond: number;
  /** CPU seconds per call, per role (api, postgres, rqlited…), over the whole phase. */
  cpuSecondsPerCall: Record<string, number>;
}

export interface ScaleSeed {
  users: SeededUser[];
  big: SeededUser;
  phases: { registrations: PhaseStat; events: PhaseStat; bigUserStreams: PhaseStat; bigUserEvents: PhaseStat };
}

/** The seeding options of `bench/run --scale-test` (scale-args.ts), with where and how to report. */
export type SeedSettings = Pick<ScaleOptions, 'users' | 'events' | 'bigUserStreams' | 'bigUserEvents' | 'batchSize' | 'seedConcurrency' | 'registerConcurrency'> & {
  apiUrl: string;
  groups: () => CpuGroups;
  log: (m: string) => void;
};

/** Runs `fn(0…n-1)` with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** A progress line every 5 s (items done, rate, time left), and the phase's figures at the end. */
class Phase {
  private done = 0;
  private calls = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly before: CpuSnapshot;
  private readonly name: string;
  private readonly total: number;
  private readonly s: SeedSettings;
  constructor(name: string, total: number, s: SeedSettings) {
    this.name = name;
    this.total = total;
    this.s = s;
    this.before = cpuSnapshot(Object.values(s.groups()).flat());
    this.timer = setInterval(() => this.line(), 5000);
  }
  add(items: number): void {
    this.done += items;
    this.calls += 1;
  }
  private line(): void {
    const secs = (performance.now() - this.started) / 1000;
    const rate = this.done / Math.max(secs, 0.001);
    const shown = rate < 10 ? rate.toFixed(2) : Math.round(rate).toLocaleString('en');
    const left = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
    const pct = this.total > 0 ? ((this.done / this.total) * 100).toFixed(1) : '100';
    this.s.log(`${this.name}: ${this.done.toLocaleString('en')} / ${this.total.toLocaleString('en')} (${pct} %), ${shown}/s, ~${left} s left`);
  }
  end(): PhaseStat {
    clearInterval(this.timer);
    const groups = this.s.groups();
    const after = cpuSnapshot(Object.values(groups).flat());
    const seconds = (performance.now() - this.started) / 1000;
    const use = cpuUsage(this.before, after, groups);
    const cpuSecondsPerCall: Record<string, number> = {};
    for (const [role, pct] of Object.entries(use.perGroup)) {
      cpuSecondsPerCall[role] = this.calls > 0 ? Math.round(((pct / 100) * seconds / this.calls) * 10_000) / 10_000 : 0;
    }
    const stat = { items: this.done, calls: this.calls, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round((this.done / Math.max(seconds, 0.001)) * 10) / 10, cpuSecondsPerCall };
    this.s.log(`${this.name}: ${stat.items.toLocaleString('en')} in ${stat.seconds} s = ${stat.perSecond.toLocaleString('en')}/s; CPU s per call ${JSON.stringify(cpuSecondsPerCall)}`);
    return stat;
  }
}

function user(username: string, base: string, token: string, streamIds: string[]): SeededUser {
  return { username, base, path: new URL(base).pathname, personalToken: token, streamIds, eventIds: [], seriesEventId: null };
}

/** `count` events.create calls from the user's `from`-th event on, 100 a day back from `now`, round-robin over `streams`. */
export function eventCalls(streams: string[], from: number, count: number, now: number): { method: string; params: unknown }[] {
  const calls = [];
  for (let i = from; i < from + count; i++) {
    const note = i % 2 === 0;
    calls.push({
      method: 'events.create',
      params: { streamIds: [streams[i % streams.length] ?? 'f0'], type: note ? 'note/txt' : 'mass/kg', time: now - i * (DAY / EVENTS_PER_DAY), content: note ? `scale note ${i}` : 60 + (i % 400) / 10 },
    });
  }
  return calls;
}

/** The big user's streams: the 70 of the small layout, then roots x0…x99 and children under them. */
export function bigUserLayout(total: number): { id: string; parentId: string | null }[] {
  const out = streamLayout();
  const extra = total - out.length;
  const roots = Math.min(100, extra);
  for (let i = 0; i < extra; i++) out.push({ id: `x${i}`, parentId: i < roots ? null : `x${i % roots}` });
  return out;
}

async function seedEvents(s: SeedSettings, phase: Phase, jobs: { u: SeededUser; streams: string[]; from: number; count: number }[], now: number): Promise<void> {
  await pool(jobs.length, s.seedConcurrency, async (j) => {
    const job = jobs[j];
    if (job === undefined) return;
    await batch(job.u.base, job.u.personalToken, eventCalls(job.streams, job.from, job.count, now));
    phase.add(job.count);
  });
}

function eventJobs(u: SeededUser, streams: string[], events: number, size: number): { u: SeededUser; streams: string[]; from: number; count: number }[] {
  const jobs = [];
  for (let from = 0; from < events; from += size) jobs.push({ u, streams, from, count: Math.min(size, events - from) });
  return jobs;
}

export async function seedScale(s: SeedSettings): Promise<ScaleSeed> {
  const now = Math.floor(Date.now() / 1000);
  const tag = randomBytes(3).toString('hex');
  const layout = streamLayout();
  const streamIds = layout.map((x) => x.id);

  const reg = new Phase('registrations (+ 70 streams each, one batch call)', s.users, s);
  const users: SeededUser[] = new Array<SeededUser>(s.users);
  await pool(s.users, s.registerConcurrency, async (i) => {
    const username = `scale-${tag}-${i}`;
    const { base, token } = await register(s.apiUrl, username);
    await batch(base, token, layout.map((x) => ({ method: 'streams.create', params: { id: x.id, name: x.id, parentId: x.parentId } })));
    users[i] = user(username, base, token, streamIds);
    reg.add(1);
  });
  const registrations = reg.end();

  const per = Math.floor(s.events / s.users);
  const extra = s.events - per * s.users;
  // Interleaved over users (user 0's first batch, user 1's first batch…), as many clients would write.
  const perUser = users.map((u, i) => eventJobs(u, streamIds, per + (i < extra ? 1 : 0), s.batchSize));
  const jobs = [];
  for (let round = 0; perUser.some((l) => round < l.length); round++) for (const l of perUser) if (round < l.length) jobs.push(l[round] as (typeof l)[number]);
  const ev = new Phase('events (batch calls of events.create)', s.events, s);
  await seedEvents(s, ev, jobs, now);
  const events = ev.end();

  const bigName = `scale-${tag}-big`;
  const bigReg = await register(s.apiUrl, bigName);
  const bigLayout = bigUserLayout(s.bigUserStreams);
  const bs = new Phase('big user streams (batch calls of streams.create)', bigLayout.length, s);
  // In order: a batch holds parents before their children, and batches run one after the other.
  for (let from = 0; from < bigLayout.length; from += 1000) {
    const part = bigLayout.slice(from, from + 1000);
    await batch(bigReg.base, bigReg.token, part.map((x) => ({ method: 'streams.create', params: { id: x.id, name: x.id, parentId: x.parentId } })));
    bs.add(part.length);
  }
  const bigUserStreams = bs.end();
  const big = user(bigName, bigReg.base, bigReg.token, bigLayout.map((x) => x.id));
  const be = new Phase('big user events', s.bigUserEvents, s);
  await seedEvents(s, be, eventJobs(big, big.streamIds, s.bigUserEvents, s.batchSize), now);
  const bigUserEvents = be.end();
  return { users, big, phases: { registrations, events, bigUserStreams, bigUserEvents } };
}

/**
 * The scenarios' view of two users (the small data set's shape): a restricted access on the first,
 * and a 1-day time range in the middle of its events (about 100 events, as in the small data set).
 */
export async function scenarioSeed(a: SeededUser, b: SeededUser, eventsOfA: number): Promise<Seed> {
  const access = await expectStatus(201, 'POST', `${a.base}accesses`, {
    token: a.personalToken,
    body: { name: `bench-restricted-${randomBytes(3).toString('hex')}`, type: 'shared', permissions: RESTRICTED_PERMISSIONS.map((streamId) => ({ streamId, level: 'contribute' })) },
  });
  const token = field<string>(access, 'access', 'token');
  const now = Math.floor(Date.now() / 1000);
  const middle = (eventsOfA / EVENTS_PER_DAY / 2) * DAY;
  const timeRange = { fromTime: now - middle - DAY / 2, toTime: now - middle + DAY / 2 };
  const counts: Record<string, number> = {};
  const range = `?fromTime=${timeRange.fromTime}&toTime=${timeRange.toTime}`;
  for (const [name, t] of [['personal', a.personalToken], ['restricted', token]] as const) {
    counts[`no filter, ${name}`] = await countEvents(`${a.base}events`, t);
    counts[`parent stream, ${name}`] = await countEvents(`${a.base}events?streams=t0`, t);
    counts[`time range, ${name}`] = await countEvents(`${a.base}events${range}`, t);
  }
  return {
    users: [a, b],
    restricted: { token, permissions: RESTRICTED_PERMISSIONS, readableStreams: [...RESTRICTED_PERMISSIONS, ...a.streamIds.filter((x) => x.startsWith('t0-'))] },
    parentStream: 't0',
    deepStream: 't1-c0-g0',
    timeRange,
    counts,
    series: { available: false, status: 0, detail: 'not seeded at scale', base: '' },
    seconds: 0,
  };
}
