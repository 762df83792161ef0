import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSnapshot, cpuUsage, type CpuGroups, type CpuUse } from './procs.ts';

/** One request of a scenario's rotation; `dyn` bodies are built by bench/lua/bench.lua per request. */
export interface ReqSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  token: string;
  body?: unknown;
  /** A body sent as is, with its content type (multipart uploads); ASCII only (it goes into the Lua script). */
  raw?: { contentType: string; body: string };
  dyn?: { kind: 'uniq'; pre: string; post: string } | { kind: 'series'; pre: string; post: string; points: number };
}

export interface WrkRun {
  url: string;
  requests: ReqSpec[];
  duration: number;
  connections: number;
  threads: number;
  timeoutS: number;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  bytes: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
  statuses: Record<string, number>;
  sample: string;
  latencyMs: { p50: number; p90: number; p95: number; p99: number; p999: number; max: number; mean: number };
  /** % of one core over the run, per group (wrk itself included); machine = busy % of all cores. */
  cpu: CpuUse;
}

function luaString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 32 || c > 126) for (const b of Buffer.from(ch, 'utf8')) out += `\\${b}`;
    else out += ch;
  }
  return `${out}"`;
}

function luaRequests(requests: ReqSpec[]): string {
  const items = requests.map((r) => {
    const headers = [`authorization = ${luaString(r.token)}`];
    if (r.body !== undefined || r.dyn !== undefined) headers.push(`["content-type"] = "application/json"`);
    if (r.raw !== undefined) headers.push(`["content-type"] = ${luaString(r.raw.contentType)}`);
    const parts = [`method = ${luaString(r.method)}`, `path = ${luaString(r.path)}`, `headers = { ${headers.join(', ')} }`];
    if (r.body !== undefined) parts.push(`body = ${luaString(JSON.stringify(r.body))}`);
    if (r.raw !== undefined) parts.push(`body = ${luaString(r.raw.body)}`);
    if (r.dyn !== undefined) {
      const d = r.dyn;
      const extra = d.kind === 'series' ? `, points = ${d.points}` : '';
      parts.push(`dyn = { kind = ${luaString(d.kind)}, pre = ${luaString(d.pre)}, post = ${luaString(d.post)}${extra} }`);
    }
    return `  { ${parts.join(', ')} }`;
  });
  // LuaJIT allows 65,536 constants per function: a big user's rotation (10,000 streams, two
  // requests each) has more distinct strings than that, so each chunk is built by its own function.
  const chunks: string[] = [];
  for (let i = 0; i < items.length; i += LUA_CHUNK) chunks.push(`(function() return {\n${items.slice(i, i + LUA_CHUNK).join(',\n')}\n } end)()`);
  return (
    `BENCH = { tag = ${luaString(randomBytes(4).toString('hex'))}, requests = {} }\n` +
    `for _, part in ipairs({\n${chunks.join(',\n')}\n}) do\n for _, r in ipairs(part) do BENCH.requests[#BENCH.requests + 1] = r end\nend\n`
  );
}

/** Requests per generated Lua function (a few distinct constants each: well under LuaJIT's limit). */
const LUA_CHUNK = 5000;

/**
 * Runs wrk once with the generated script and reports its numbers plus the CPU used meanwhile by
 * each group of processes (`groups()` is asked at start and end, so processes born during the run
 * count too).
 */
export async function runWrk(run: WrkRun, scriptDir: string, name: string, groups: () => CpuGroups): Promise<WrkResult> {
  const script = join(scriptDir, `${name}.lua`);
  const common = readFileSync(new URL('../lua/bench.lua', import.meta.url), 'utf8');
  writeFileSync(script, luaRequests(run.requests) + common);
  const args = ['-t', String(run.threads), '-c', String(run.connections), '-d', `${run.duration}s`, '--timeout', `${run.timeoutS}s`, '-s', script, run.url];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const startGroups = groups();
  const wrkPid = child.pid ?? 0;
  const allPids = (g: CpuGroups): number[] => [wrkPid, ...Object.values(g).flat()];
  const before = cpuSnapshot(allPids(startGroups));
  // Sampled just before wrk ends: after exit its /proc entry (and CPU times) are gone.
  const endAt = Date.now() + run.duration * 1000 - 300;
  let after = before;
  let endGroups = startGroups;
  const sampler = (async () => {
    while (Date.now() < endAt && child.exitCode === null) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, endAt - Date.now()))));
    endGroups = groups();
    const merged = new Set([...allPids(startGroups), ...allPids(endGroups)]);
    after = cpuSnapshot([...merged]);
  })();
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  await sampler;
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err.slice(0, 1000)}`);
  const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (line === undefined) throw new Error(`wrk printed no result:\n${out.slice(0, 2000)}\n${err.slice(0, 1000)}`);
  const r = JSON.parse(line.slice('BENCH_RESULT '.length)) as {
    requests: number; durationUs: number; bytes: number;
    errors: { connect: number; read: number; write: number; timeout: number; status: number };
    non2xx: number; statuses: Record<string, number>; sample: string;
    latencyUs: { p50: number; p90: number; p95: number; p99: number; p999: number; max: number; mean: number };
  };
  const mergedGroups: CpuGroups = { wrk: [wrkPid] };
  for (const [k, pids] of Object.entries(startGroups)) mergedGroups[k] = [...new Set([...pids, ...(endGroups[k] ?? [])])];
  for (const [k, pids] of Object.entries(endGroups)) mergedGroups[k] ??= pids;
  const ms = (us: number): number => Math.round(us / 10) / 100;
  const seconds = r.durationUs / 1e6;
  return {
    requests: r.requests,
    seconds,
    rps: Math.round((r.requests / seconds) * 10) / 10,
    bytes: r.bytes,
    socketErrors: { connect: r.errors.connect, read: r.errors.read, write: r.errors.write, timeout: r.errors.timeout },
    non2xx: r.non2xx,
    statuses: r.statuses,
    sample: r.sample,
    latencyMs: { p50: ms(r.latencyUs.p50), p90: ms(r.latencyUs.p90), p95: ms(r.latencyUs.p95), p99: ms(r.latencyUs.p99), p999: ms(r.latencyUs.p999), max: ms(r.latencyUs.max), mean: ms(r.latencyUs.mean) },
    cpu: cpuUsage(before, after, mergedGroups),
  };
}
