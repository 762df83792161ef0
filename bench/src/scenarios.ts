import { createSeriesHolder, type Seed, type SeededUser } from './seed.ts';
import type { ReqSpec } from './wrk.ts';
import { contentQueryPath, CONTENT_QUERIES, type ContentQueryName } from './seed-content.ts';
import { startLoginStorm, type Background } from './login-storm.ts';
import { FILE_SCENARIOS } from './scenarios-files.ts';

export interface Goal { rps: number; p99Ms?: number }

export interface Scenario {
  id: string;
  group: string;
  title: string;
  goal: Goal | null;
  /** What the requests are, for the results' settings column. */
  detail: string;
  connections?: number;
  /** Longest acceptable answer time before wrk counts a timeout. */
  timeoutS?: number;
  /** Base URL wrk connects to (series may live on the HFS port). */
  url: (seed: Seed) => string;
  /** null = not runnable on this core, with the reason. Called again for every wrk run (warm-up included). */
  requests: (seed: Seed) => Promise<ReqSpec[] | { unavailable: string }>;
  /**
   * A load running next to the measured requests: the scenario is then measured twice, quiet and
   * under that load, and its goal is the loaded p99 ≤ `maxP99Ratio` × the quiet p99.
   */
  background?: { start: (seed: Seed) => Background; maxP99Ratio: number };
  /** Each request sent once (bench/src/once-run.ts) instead of wrk cycling them for `--duration`. */
  once?: true;
}

const json = (v: unknown): string => JSON.stringify(v);
const personal = (s: Seed): SeededUser[] => s.users;
const userA = (s: Seed): SeededUser => s.users[0];

/** The three events.get queries of the issue, for one token. */
function eventsGets(s: Seed, user: SeededUser, token: string): Record<'none' | 'parent' | 'range', ReqSpec> {
  return {
    none: { method: 'GET', path: `${user.path}events`, token },
    parent: { method: 'GET', path: `${user.path}events?streams=${s.parentStream}`, token },
    range: { method: 'GET', path: `${user.path}events?fromTime=${s.timeRange.fromTime}&toTime=${s.timeRange.toTime}`, token },
  };
}

/** events.create rotating over `streams`, note and mass events alternately. */
function eventCreates(user: SeededUser, token: string, streams: string[]): ReqSpec[] {
  return streams.flatMap((streamId, i) => [
    { method: 'POST', path: `${user.path}events`, token, body: { streamIds: [streamId], type: 'note/txt', content: `bench ${i}` } },
    { method: 'POST', path: `${user.path}events`, token, body: { streamIds: [streamId], type: 'mass/kg', content: 70 + i / 10 } },
  ] satisfies ReqSpec[]);
}

function streamCreate(user: SeededUser, parentId: string | null): ReqSpec {
  const pre = `{"name":"bench-`;
  const post = `"${parentId === null ? '' : `,"parentId":${json(parentId)}`}}`;
  return { method: 'POST', path: `${user.path}streams`, token: user.personalToken, dyn: { kind: 'uniq', pre, post } };
}

function seriesUnavailable(s: Seed): { unavailable: string } | null {
  return s.series.available ? null : { unavailable: `not available (${s.series.status})` };
}

function seriesWrite(points: number, goal: number): Scenario {
  return {
    id: `series.write-${points}`,
    group: 'series write',
    title: `series write, batches of ${points.toLocaleString('en')} points`,
    goal: { rps: goal },
    detail: `POST /{u}/events/{id}/series, flatJSON [deltaTime, value] × ${points}, fresh deltaTimes per request, 10 holder events per run`,
    url: (s) => s.series.base,
    async requests(s) {
      const na = seriesUnavailable(s);
      if (na !== null) return na;
      // Fresh holders per wrk run: the warm-up and the measured run never overwrite each other's points.
      const specs: ReqSpec[] = [];
      for (let i = 0; i < 10; i++) {
        const user = s.users[i % 2] ?? userA(s);
        const id = await createSeriesHolder(user, Math.floor(Date.now() / 1000) - 3600);
        specs.push({
          method: 'POST', path: `${user.path}events/${id}/series`, token: user.personalToken,
          dyn: { kind: 'series', pre: '{"format":"flatJSON","fields":["deltaTime","value"],"points":[', post: ']}', points },
        });
      }
      return specs;
    },
  };
}

function seriesRead(points: number, goal: number): Scenario {
  return {
    id: `series.read-${points}`,
    group: 'series read',
    title: `series read, ranges of ${points.toLocaleString('en')} points`,
    goal: { rps: goal },
    detail: `GET /{u}/events/{id}/series?fromDeltaTime=a&toDeltaTime=a+${points}, a rotating, on the 2 seeded 100k-point events`,
    timeoutS: 30,
    url: (s) => s.series.base,
    async requests(s) {
      const na = seriesUnavailable(s);
      if (na !== null) return na;
      const specs: ReqSpec[] = [];
      const starts = points >= 100_000 ? [0] : Array.from({ length: 20 }, (_, i) => Math.floor((i * (100_000 - points)) / 19));
      for (const user of s.users) {
        for (const a of starts) {
          specs.push({ method: 'GET', path: `${user.path}events/${user.seriesEventId ?? ''}/series?fromDeltaTime=${a}&toDeltaTime=${a + points}`, token: user.personalToken });
        }
      }
      return specs;
    },
  };
}

const api = (s: Seed): string => new URL('/', s.users[0].base).toString();

const CONTENT_TITLES: Record<ContentQueryName, string> = {
  eq: 'equality on a nested field',
  in16: '`in` with 16 values combined with an equality',
  prefix: 'prefix match',
  range: 'numeric range',
};

/** events.get with a content query (issue #11), personal tokens of both users alternately. */
function contentQuery(name: ContentQueryName): Scenario {
  return {
    id: `events.get-content-${name}`,
    group: 'events.get content queries',
    title: `events.get content query: ${CONTENT_TITLES[name]}`,
    goal: { rps: 500 },
    detail: `GET /{u}/events?content=${JSON.stringify(CONTENT_QUERIES[name])} (default limit 20), personal tokens of both users; 2,000 medication/intake events per user among 7,000 (× --scale)`,
    url: api,
    async requests(s) {
      return personal(s).map((u): ReqSpec => ({ method: 'GET', path: contentQueryPath(u, name), token: u.personalToken }));
    },
  };
}

const ALL: Scenario[] = [
  ...(['personal', 'restricted'] as const).flatMap((who) =>
    (['none', 'parent', 'range'] as const).map((q): Scenario => ({
      id: `events.get-${q}-${who}`,
      group: 'events.get',
      title: `events.get ${q === 'none' ? 'no filter' : q === 'parent' ? 'parent stream (children included)' : 'time range (1 day)'}, ${who} token`,
      goal: { rps: 1000 },
      detail: who === 'personal'
        ? 'personal tokens of both users, alternately'
        : 'the shared access of user A (10 permissions: tree root t0 + 9 flat streams)',
      url: api,
      async requests(s) {
        if (who === 'restricted') return [eventsGets(s, userA(s), s.restricted.token)[q]];
        return personal(s).map((u) => eventsGets(s, u, u.personalToken)[q]);
      },
    })),
  ),
  ...(['eq', 'in16', 'prefix', 'range'] as const).map(contentQuery),
  seriesRead(1000, 2400),
  seriesRead(10_000, 320),
  seriesRead(100_000, 31),
  {
    id: 'mixed',
    group: 'mixed',
    title: 'mixed: 60 % reads, 30 % event creates, 5 % stream creates, 5 % updates',
    goal: { rps: 1100 },
    detail: 'a fixed shuffled cycle of 100 requests: reads = the 3 events.get queries with personal (A, B) and restricted tokens; creates = events.create (personal and restricted); stream creates at the root and nested; updates = events.update of seeded events',
    url: api,
    async requests(s) {
      const [a, b] = s.users;
      const reads = [a, b].flatMap((u) => Object.values(eventsGets(s, u, u.personalToken)));
      reads.push(...Object.values(eventsGets(s, a, s.restricted.token)));
      const creates = [
        ...eventCreates(a, a.personalToken, a.streamIds.slice(0, 10)),
        ...eventCreates(b, b.personalToken, b.streamIds.slice(30, 40)),
        ...eventCreates(a, s.restricted.token, s.restricted.readableStreams.slice(0, 5)),
      ];
      const streamCreates = [streamCreate(a, null), streamCreate(b, s.deepStream), streamCreate(a, 't2'), streamCreate(b, null), streamCreate(a, s.deepStream)];
      const updates = [a, b].flatMap((u) => u.eventIds.slice(100, 103).map((id, i): ReqSpec => ({
        method: 'PUT', path: `${u.path}events/${id}`, token: u.personalToken, body: { description: `bench update ${i}` },
      })));
      const pick = <T>(list: T[], n: number): T[] => Array.from({ length: n }, (_, i) => list[i % list.length] as T);
      const cycle = [...pick(reads, 60), ...pick(creates, 30), ...pick(streamCreates, 5), ...pick(updates, 5)];
      // Deterministic shuffle (LCG), so every run replays the same order.
      let x = 12345;
      for (let i = cycle.length - 1; i > 0; i--) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const j = x % (i + 1);
        [cycle[i], cycle[j]] = [cycle[j] as ReqSpec, cycle[i] as ReqSpec];
      }
      return cycle;
    },
  },
  {
    id: 'events.create-personal',
    group: 'events.create',
    title: 'events.create, personal token',
    goal: { rps: 2000, p99Ms: 25 },
    detail: 'personal tokens of both users alternately, rotating over all 70 streams, note/txt and mass/kg',
    url: api,
    async requests(s) {
      const [a, b] = s.users;
      const la = eventCreates(a, a.personalToken, a.streamIds);
      const lb = eventCreates(b, b.personalToken, b.streamIds);
      return la.flatMap((r, i) => [r, lb[i] ?? r]);
    },
  },
  {
    id: 'events.create-restricted',
    group: 'events.create',
    title: 'events.create, restricted (shared) token',
    goal: { rps: 2000, p99Ms: 25 },
    detail: 'the shared access of user A, rotating over the 19 streams it may contribute to',
    url: api,
    async requests(s) {
      return eventCreates(userA(s), s.restricted.token, s.restricted.readableStreams);
    },
  },
  {
    id: 'streams.update',
    group: 'streams',
    title: 'streams.update (rename)',
    goal: { rps: 500 },
    detail: 'PUT /{u}/streams/{id} {name: unique}, rotating over the 70 seeded streams of both users',
    url: api,
    async requests(s) {
      return personal(s).flatMap((u) => u.streamIds.map((id): ReqSpec => ({
        method: 'PUT', path: `${u.path}streams/${id}`, token: u.personalToken, dyn: { kind: 'uniq', pre: `{"name":"${id}-`, post: '"}' },
      })));
    },
  },
  {
    id: 'streams.create-flat',
    group: 'streams',
    title: 'streams.create, flat (root streams)',
    goal: { rps: 1000 },
    detail: 'POST /{u}/streams {name: unique} at the root, both users alternately (each run adds thousands of streams)',
    url: api,
    async requests(s) {
      return personal(s).map((u) => streamCreate(u, null));
    },
  },
  {
    id: 'streams.create-nested',
    group: 'streams',
    title: 'streams.create, nested (under a stream 3 levels deep)',
    goal: { rps: 500 },
    detail: 'POST /{u}/streams {name: unique, parentId: t1-c0-g0}, both users alternately',
    url: api,
    async requests(s) {
      return personal(s).map((u) => streamCreate(u, s.deepStream));
    },
  },
  seriesWrite(10, 9000),
  seriesWrite(100, 2800),
  seriesWrite(1000, 500),
  {
    // Issue #16: scrypt runs on nice-10 threads, never on the event loop, and login limits turn a
    // storm into cheap 429s; reads must stay fast meanwhile.
    id: 'events.get-login-storm',
    group: 'events.get',
    title: 'events.get no filter, personal token, during 200 wrong-password logins/s',
    goal: null,
    detail: 'the events.get-none-personal requests, measured quiet then with 200 wrong-password auth.login/s on user A (one client address); goal: p99 ≤ 2 × quiet p99',
    url: api,
    async requests(s) {
      return personal(s).map((u) => eventsGets(s, u, u.personalToken).none);
    },
    background: { start: (s) => startLoginStorm(userA(s), 200), maxP99Ratio: 2 },
  },
];

/**
 * Run order: reads first on the seeded data; scenarios that grow the stream tree (every request
 * loads it) come last so they do not slow the others down.
 */
const ORDER = [
  'events.get-none-personal', 'events.get-parent-personal', 'events.get-range-personal',
  'events.get-none-restricted', 'events.get-parent-restricted', 'events.get-range-restricted',
  'events.get-content-eq', 'events.get-content-in16', 'events.get-content-prefix', 'events.get-content-range',
  'series.read-1000', 'series.read-10000', 'series.read-100000',
  'events.create-personal', 'events.create-restricted',
  'series.write-10', 'series.write-100', 'series.write-1000',
  'attachments.download-100k', 'previews.cached-512', 'previews.first-512', 'attachments.upload-1m',
  'streams.update', 'mixed', 'streams.create-flat', 'streams.create-nested',
  'events.get-login-storm',
];

export const SCENARIOS: Scenario[] = ORDER.map((id) => {
  const s = [...ALL, ...FILE_SCENARIOS].find((x) => x.id === id);
  if (s === undefined) throw new Error(`unknown scenario ${id}`);
  return s;
});
