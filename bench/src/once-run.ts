import { Pool } from 'undici';
import { cpuSnapshot, cpuUsage, type CpuGroups } from './procs.ts';
import type { ReqSpec, WrkResult, WrkRun } from './wrk.ts';

/**
 * Sends each request of the list exactly once, `connections` at a time, and reports it as wrk
 * would (bench/src/wrk.ts): for work that must not repeat within a run, such as the first render
 * of a preview (a repeated one is a cache hit). wrk cannot do this: it runs for a fixed time, its
 * script has no wall clock, and stopping its threads early still reports the whole duration.
 * `duration` is ignored: the run lasts as long as the list.
 */
export async function runOnce(run: WrkRun, groups: () => CpuGroups): Promise<WrkResult> {
  const pool = new Pool(run.url, { connections: run.connections, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  let non2xx = 0;
  let bytes = 0;
  let sample = '';
  let next = 0;
  // The load tool is this process: its CPU goes in the `wrk` column of the report, as wrk's would.
  const startGroups: CpuGroups = { wrk: [process.pid], ...groups() };
  const before = cpuSnapshot(Object.values(startGroups).flat());
  const one = async (r: ReqSpec): Promise<void> => {
    const headers: Record<string, string> = { authorization: r.token };
    let body: string | undefined;
    if (r.raw !== undefined) [headers['content-type'], body] = [r.raw.contentType, r.raw.body];
    else if (r.body !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(r.body)];
    const t0 = performance.now();
    try {
      const res = await pool.request({ method: r.method, path: r.path, headers, ...(body === undefined ? {} : { body }), headersTimeout: run.timeoutS * 1000, bodyTimeout: run.timeoutS * 1000 });
      const buf = Buffer.from(await res.body.arrayBuffer());
      latencies.push(performance.now() - t0);
      bytes += buf.length;
      if (res.statusCode < 200 || res.statusCode > 299) {
        non2xx += 1;
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (sample === '') sample = buf.toString('utf8', 0, 300);
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code.includes('TIMEOUT')) errors.timeout += 1;
      else if (code === 'ECONNREFUSED') errors.connect += 1;
      else errors.read += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: run.connections }, async () => {
    for (let i = next++; i < run.requests.length; i = next++) await one(run.requests[i] as ReqSpec);
  }));
  const seconds = (performance.now() - started) / 1000;
  const endGroups = groups();
  const after = cpuSnapshot([...new Set([...Object.values(startGroups).flat(), ...Object.values(endGroups).flat()])]);
  await pool.close();
  const merged: CpuGroups = { ...startGroups };
  for (const [k, pids] of Object.entries(endGroups)) merged[k] = [...new Set([...(merged[k] ?? []), ...pids])];
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 100) / 100;
  const mean = latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    requests: latencies.length,
    seconds,
    rps: Math.round((latencies.length / seconds) * 10) / 10,
    bytes,
    socketErrors: errors,
    non2xx,
    statuses,
    sample,
    latencyMs: { p50: at(50), p90: at(90), p95: at(95), p99: at(99), p999: at(99.9), max: at(100), mean: Math.round(mean * 100) / 100 },
    cpu: cpuUsage(before, after, merged),
  };
}
