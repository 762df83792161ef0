/**
 * bench/run --scale-test (docs/benchmarks.md#scale): one fresh core; the small data set and its
 * scenarios first (the baseline), then the scale seed through the public batch API, then the same
 * scenarios on the small users again, on two random scale users and on the big user. Writes
 * bench/results/<name>.json, .md and .svg (the plot, drawn from the JSON by scale-plot.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { releaseCore, startCore, stopCore, type StartedCore } from './core.ts';
import { load, machineFacts } from './machine.ts';
import type { ScenarioOutcome } from './report.ts';
import { coreGroups, runScenario } from './run-scenario.ts';
import { parseScaleOptions, SCALE_USAGE, type ScaleOptions } from './scale-args.ts';
import { renderScaleMarkdown } from './scale-report.ts';
import { plotInput, renderScalePlot } from './scale-plot.ts';
import { scenarioSeed, seedScale, type ScaleSeed } from './scale-seed.ts';
import { SCENARIOS } from './scenarios.ts';
import { eventsPerUser, seed, type Seed } from './seed.ts';
import { medsPerUser } from './seed-content.ts';

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);

/** The scenarios that run on every set: reads, writes and a stream update (no tree growth, no series). */
export const SCALE_SCENARIOS = /^(events\.get-(none|parent|range)-(personal|restricted)|events\.create-(personal|restricted)|streams\.update)$/;

export interface ScaleSet {
  id: 'small' | 'small-after' | 'random' | 'big';
  label: string;
  eventsPerUser: number;
  streamsPerUser: number;
  usersOnCore: number;
  users: string[];
  counts: Record<string, number>;
  scenarios: ScenarioOutcome[];
}

export interface ScaleReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  settings: Omit<ScaleOptions, 'only' | 'keepCore' | 'out' | 'render'> & { only: string; apiWorkers: number | null };
  machine: ReturnType<typeof machineFacts> & { loadAtStart: number[]; loadAtEnd: number[] };
  seeding: (ScaleSeed['phases'] & { smallSeconds: number; vacuumAnalyzeSeconds: number }) | null;
  sets: ScaleSet[];
}

async function vacuumAnalyze(core: StartedCore): Promise<number> {
  const t = performance.now();
  const c = new pg.Client(core.pg);
  await c.connect();
  await c.query('VACUUM ANALYZE');
  await c.end();
  return Math.round((performance.now() - t) / 100) / 10;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

export async function runScaleTest(root: string, argv: string[]): Promise<void> {
  const parsed = parseScaleOptions(argv);
  if (parsed === 'help') {
    process.stdout.write(SCALE_USAGE);
    return;
  }
  const o = parsed;
  if (o.render !== null) {
    writeOutputs(JSON.parse(readFileSync(o.render, 'utf8')) as ScaleReport, o.render.replace(/\.json$/, ''));
    log(`rewrote ${o.render.replace(/\.json$/, '')}.md and .svg`);
    return;
  }
  const only = o.only ?? SCALE_SCENARIOS;
  const scenarios = SCENARIOS.filter((s) => only.test(s.id));
  if (scenarios.length === 0) throw new Error(`--only ${only.source} matches no scenario`);
  const started = new Date();
  const name = o.out ?? `${stamp(started)}-scale`;
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const scriptDir = mkdtempSync(join(tmpdir(), 'homecore-bench-lua-'));
  const report: ScaleReport = {
    startedAt: started.toISOString(),
    finishedAt: '',
    command: `bench/run ${argv.join(' ')}`.trim(),
    settings: {
      users: o.users, events: o.events, bigUserStreams: o.bigUserStreams, bigUserEvents: o.bigUserEvents,
      batchSize: o.batchSize, seedConcurrency: o.seedConcurrency, registerConcurrency: o.registerConcurrency,
      duration: o.duration, warmup: o.warmup, connections: o.connections, threads: o.threads, only: only.source, apiWorkers: o.apiWorkers,
    },
    machine: { ...machineFacts(), loadAtStart: load(), loadAtEnd: [] },
    seeding: null,
    sets: [],
  };
  log('starting a fresh core');
  const core = await startCore({
    root, apiWorkers: o.apiWorkers, logLevel: null, pgStats: false, audit: null,
    // Registrations come from one address here; the per-address limit is for the public internet.
    extraEnv: { HOMECORE_ATTEMPT_LIMITS__REGISTRATION_PER_ADDRESS__FREE: String(o.users + 100) },
    readyTimeoutMs: 300_000,
  });
  log(`core up at ${core.apiUrl} (var dir ${core.varDir})`);
  const groups = coreGroups(core);
  const measure = async (set: Omit<ScaleSet, 'scenarios'>, data: Seed): Promise<void> => {
    log(`scenarios on the ${set.label} (${set.users.join(', ')}): counts ${JSON.stringify(data.counts)}`);
    const out: ScenarioOutcome[] = [];
    for (const sc of scenarios) out.push(await runScenario(sc, { o, data, scriptDir, groups, stats: null }));
    report.sets.push({ ...set, scenarios: out });
  };
  try {
    const t = performance.now();
    const small = await seed(core.apiUrl, core.hfsUrl, log);
    const smallSeconds = Math.round((performance.now() - t) / 100) / 10;
    await vacuumAnalyze(core);
    const smallEvents = eventsPerUser() + medsPerUser();
    const smallSet = (id: 'small' | 'small-after', label: string, usersOnCore: number): Omit<ScaleSet, 'scenarios'> => ({
      id, label, eventsPerUser: smallEvents, streamsPerUser: small.users[0].streamIds.length + 1, usersOnCore, users: small.users.map((u) => u.username), counts: small.counts,
    });
    await measure(smallSet('small', 'small data set', 2), small);

    log(`scale seed: ${o.users.toLocaleString('en')} users, ${o.events.toLocaleString('en')} events, big user ${o.bigUserStreams.toLocaleString('en')} streams × ${o.bigUserEvents.toLocaleString('en')} events`);
    const scale = await seedScale({ apiUrl: core.apiUrl, ...o, groups, log });
    const vacuumAnalyzeSeconds = await vacuumAnalyze(core);
    log(`VACUUM ANALYZE after the scale seed: ${vacuumAnalyzeSeconds} s`);
    report.seeding = { ...scale.phases, smallSeconds, vacuumAnalyzeSeconds };
    const onCore = o.users + 3;
    await measure(smallSet('small-after', 'small data set, full core', onCore), small);

    // Two distinct random users (seeded with ⌊events/users⌋ or one more).
    const i = Math.floor(Math.random() * o.users);
    const j = (i + 1 + Math.floor(Math.random() * (o.users - 1))) % o.users;
    const [a, b] = [scale.users[i], scale.users[j]];
    if (a === undefined || b === undefined) throw new Error('no random user');
    const perUser = Math.floor(o.events / o.users);
    const random = await scenarioSeed(a, b, perUser);
    await measure({ id: 'random', label: 'random users', eventsPerUser: perUser, streamsPerUser: 70, usersOnCore: onCore, users: [a.username, b.username], counts: random.counts }, random);
    const big = await scenarioSeed(scale.big, scale.big, o.bigUserEvents);
    await measure({ id: 'big', label: 'big user', eventsPerUser: o.bigUserEvents, streamsPerUser: o.bigUserStreams, usersOnCore: onCore, users: [scale.big.username], counts: big.counts }, big);
  } finally {
    report.machine.loadAtEnd = load();
    report.finishedAt = new Date().toISOString();
    if (o.keepCore) {
      releaseCore();
      log(`core left running: ${core.apiUrl} (master pid ${core.masterPid}, var dir ${core.varDir})`);
    } else await stopCore(core, true);
    rmSync(scriptDir, { recursive: true, force: true });
    const json = join(resultsDir, `${name}.json`);
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    writeOutputs(report, join(resultsDir, name));
    log(`results: ${json} (+ .md, .svg)`);
  }
}

/** `<base>.md` and, once the small data set was measured, `<base>.svg`, both from the report. */
function writeOutputs(report: ScaleReport, base: string): void {
  const svgName = `${basename(base)}.svg`;
  writeFileSync(`${base}.md`, renderScaleMarkdown(report, svgName));
  if (report.sets.some((s) => s.id === 'small')) {
    writeFileSync(`${base}.svg`, renderScalePlot(plotInput(report), { title: plotTitle(report), baseline: 'small', after: 'small-after' }));
  }
}

export function plotTitle(r: Pick<ScaleReport, 'settings'>): string {
  const s = r.settings;
  return `homecore scale bench: ${s.users.toLocaleString('en')} users, ${s.events.toLocaleString('en')} events; big user ${s.bigUserStreams.toLocaleString('en')} streams × ${s.bigUserEvents.toLocaleString('en')} events`;
}
