/**
 * Where a worker's CPU went, from the `.cpuprofile` files `bench/run --cpu-prof` leaves next to the
 * results: self time per function and per package / source file, heaviest first.
 * Usage: node bench/src/profile-summary.ts <file.cpuprofile | dir> [--top N] [--skip S] [--callers F]
 * --skip S leaves out the first S seconds of each profile (start-up: module loading, schema compiling).
 * --callers F shows the 4 frames (outside Node's internals) above every sample whose own function is F (e.g. writev).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

function where(url: string): string {
  if (url === '') return '(native / V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm !== null) return `npm:${nm[1]}`;
  if (url.startsWith('node:')) return url;
  const own = /\/(dist\/)?((?:src|workers|bin)\/.*)$/.exec(url);
  return own?.[2] ?? url;
}

function summarize(file: string, top: number, skipS: number, callersOf: string | null): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t >= skipS * 1e6) self.set(id, (self.get(id) ?? 0) + dt);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const busy = total - [...idleIds].reduce((a, id) => a + (self.get(id) ?? 0), 0);
  const fn = new Map<string, number>();
  const loc = new Map<string, number>();
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue;
    const n = byId.get(id);
    if (n === undefined) continue;
    const w = where(n.callFrame.url);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    loc.set(w, (loc.get(w) ?? 0) + us);
  }
  // Inclusive ("total") time of our own functions and of a few library entry points: a sample counts
  // once for every distinct frame on its stack. Async continuations start new stacks (microtasks), so
  // this is the synchronous share only.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) break;
      const w = where(n.callFrame.url);
      if (!/^(src|workers)\//.test(w) && !/^npm:(pino|fastify|pg|ajv)$/.test(w)) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const callers = new Map<string, number>();
  if (callersOf !== null) {
    for (const [id, us] of self) {
      if (byId.get(id)?.callFrame.functionName !== callersOf) continue;
      const chain: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && chain.length < 4; cur = parent.get(cur)) {
        const n = byId.get(cur);
        if (n === undefined) break;
        // Node's own stream and socket plumbing says nothing about who wrote: skip it.
        if (n.callFrame.url.startsWith('node:')) continue;
        chain.push(`${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`);
      }
      const key = chain.join(' ← ');
      callers.set(key, (callers.get(key) ?? 0) + us);
    }
  }
  const pct = (us: number): string => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
  const rows = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `  ${pct(us)}  ${k}`);
  return [
    `${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} %)`,
    'self time by package / file (% of busy):',
    ...rows(loc),
    'self time by function:',
    ...rows(fn),
    'total (inclusive, synchronous) time of our code and of pino/fastify/pg/ajv functions:',
    ...rows(incl),
    ...(callersOf === null ? [] : [`callers of ${callersOf}:`, ...rows(callers)]),
  ].join('\n');
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const skipAt = args.indexOf('--skip');
const skip = skipAt >= 0 ? Number(args[skipAt + 1]) : 0;
const callersAt = args.indexOf('--callers');
const callersOf = callersAt >= 0 ? (args[callersAt + 1] ?? null) : null;
// The value after each option present (an absent option's index is -1: it must not exclude args[0]).
const values = new Set([topAt, skipAt, callersAt].filter((i) => i >= 0).map((i) => i + 1));
const target = args.find((a, i) => !a.startsWith('--') && !values.has(i));
if (target === undefined) {
  process.stderr.write('usage: node bench/src/profile-summary.ts <file.cpuprofile | dir> [--top N] [--skip S] [--callers F]\n');
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  : [target];
for (const f of files) process.stdout.write(`${summarize(f, top, skip, callersOf)}\n\n`);
