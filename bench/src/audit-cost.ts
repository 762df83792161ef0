/**
 * `bench/run --audit-cost`: the audit trail's cost (issue #12, target ≤ 5 %), A/B on cores started
 * alternately with `audit.enabled` off and on, each seeded with one user and a few streams only (the
 * full seed of bench/run is not needed for this question). Per round and mode: events.create (the
 * durable path: group-committed fdatasync before each answer) then events.get (buffered lines).
 * Prints one JSON line per run and a summary table on stdout; docs/benchmarks.md#audit-trail.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore, stopCore } from './core.ts';
import { expectStatus } from './http.ts';
import { load } from './machine.ts';
import type { CpuGroups } from './procs.ts';
import { runWrk, type ReqSpec, type WrkResult } from './wrk.ts';

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
const STREAMS = 10;

interface Seeded { base: string; token: string }

async function seedOne(apiUrl: string): Promise<Seeded> {
  const username = `audit${Date.now().toString(36)}`;
  const body = (await expectStatus(201, 'POST', `${apiUrl}users`, {
    body: { username, password: 'audit-cost-password', email: `${username}@bench.invalid`, appId: 'homecore-bench' },
  })) as { apiEndpoint: string };
  const endpoint = new URL(body.apiEndpoint);
  const token = decodeURIComponent(endpoint.username);
  endpoint.username = '';
  const base = endpoint.toString();
  const calls = Array.from({ length: STREAMS }, (_, i) => ({ method: 'streams.create', params: { id: `s${i}`, name: `S${i}` } }));
  await expectStatus(200, 'POST', base, { token, body: calls });
  return { base, token };
}

function requests(s: Seeded, kind: 'create' | 'get'): ReqSpec[] {
  const path = new URL(s.base).pathname;
  if (kind === 'get') return Array.from({ length: STREAMS }, (_, i) => ({ method: 'GET', path: `${path}events?streams[]=s${i}&limit=20`, token: s.token }));
  return Array.from({ length: STREAMS }, (_, i) => ({ method: 'POST', path: `${path}events`, token: s.token, body: { streamIds: [`s${i}`], type: 'note/txt', content: 'audit cost' } }));
}

export async function runAuditCost(root: string, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--audit-cost'),
    options: { duration: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' }, 'api-workers': { type: 'string' } },
    strict: true,
  });
  const duration = Number(values.duration ?? 10);
  const rounds = Number(values.rounds ?? 2);
  const connections = Number(values.connections ?? 10);
  const apiWorkers = values['api-workers'] === undefined ? null : Number(values['api-workers']);
  const scriptDir = mkdtempSync(join(tmpdir(), 'homecore-bench-lua-'));
  const results: { round: number; audit: boolean; kind: string; r: WrkResult; load: number[] }[] = [];
  const groups = (): CpuGroups => ({});
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order each round, so a drift of the machine's load does not favour one mode.
    const modes = round % 2 === 1 ? [false, true] : [true, false];
    for (const audit of modes) {
      log(`round ${round}: starting a core with audit ${audit ? 'on' : 'off'} (load ${load().join(', ')})`);
      const core = await startCore({ root, apiWorkers, logLevel: null, pgStats: false, audit });
      try {
        const s = await seedOne(core.apiUrl);
        for (const kind of ['create', 'get'] as const) {
          const run = { url: core.apiUrl, requests: requests(s, kind), duration, connections, threads: 1, timeoutS: 10 };
          await runWrk({ ...run, duration: 2 }, scriptDir, `audit-${kind}-warmup`, groups);
          const r = await runWrk(run, scriptDir, `audit-${kind}`, groups);
          results.push({ round, audit, kind, r, load: load() });
          process.stdout.write(`${JSON.stringify({ round, audit, kind, rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, non2xx: r.non2xx, load: load() })}\n`);
        }
      } finally {
        await stopCore(core, true);
      }
    }
  }
  process.stdout.write('\n| scenario | audit off req/s | audit on req/s | change | off p99 ms | on p99 ms |\n|---|---|---|---|---|---|\n');
  for (const kind of ['create', 'get']) {
    const of = (audit: boolean): WrkResult[] => results.filter((x) => x.kind === kind && x.audit === audit).map((x) => x.r);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const off = mean(of(false).map((r) => r.rps));
    const on = mean(of(true).map((r) => r.rps));
    const p99 = (audit: boolean): number => mean(of(audit).map((r) => r.latencyMs.p99));
    const change = off === 0 ? 'n/a' : `${(((on - off) / off) * 100).toFixed(1)} %`;
    process.stdout.write(`| events.${kind === 'get' ? 'get' : 'create'} | ${off.toFixed(0)} | ${on.toFixed(0)} | ${change} | ${p99(false).toFixed(1)} | ${p99(true).toFixed(1)} |\n`);
  }
}
