/**
 * bench/restore-phases (docs/benchmarks.md#backup-and-restore): where a restore's PostgreSQL time
 * goes. Restores a (synthetic) backup into a fresh core while sampling /proc every 100 ms, then
 * splits wall time and CPU seconds (the command's, and PostgreSQL's by process kind: backends,
 * parallel workers, checkpointer, WAL writer…) at the restore's progress lines: loading (COPY),
 * the deferred index and key builds, the integrity check. Then, the data loaded, each deferred
 * index and foreign key is dropped and built again alone, with its wall and CPU seconds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { coreEnv } from './args.ts';
import { releaseCore, startCore, stopCore, type StartedCore } from './core.ts';
import { writeSyntheticBackup } from './synthetic-backup.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (m: string): void => void process.stderr.write(`phases: ${m}\n`);
const TABLES = ['events', 'event_versions', 'series_chunks'];

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '40' }, events: { type: 'string', default: '2500' }, 'attachments-mb': { type: 'string', default: '200' },
    backup: { type: 'string' }, dist: { type: 'string' }, set: { type: 'string', multiple: true, default: [] }, 'no-rebuild': { type: 'boolean' }, keep: { type: 'string' },
    // --core-env HOMECORE_…=value (repeatable): a setting of the started core, e.g. one the server reads only at its start.
    'core-env': { type: 'string', multiple: true, default: [] },
  },
});
const dist = resolve(values.dist ?? join(ROOT, 'dist'));

/** CPU ticks (utime + stime, and of reaped children) of one process; null when gone. */
function ticks(pid: number): { self: number; children: number; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
    return { ppid: f[1] ?? 0, self: (f[11] ?? 0) + (f[12] ?? 0), children: (f[13] ?? 0) + (f[14] ?? 0) };
  } catch {
    return null;
  }
}

/** The kind of a PostgreSQL process from its title: `postgres: checkpointer`, `postgres: homecore homecore 127.0.0.1(…) COPY`… */
function kindOf(pid: number): string {
  let title = '';
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return 'gone';
  }
  const m = /^postgres: (.*)$/.exec(title);
  if (m === null) return 'postmaster';
  const t = m[1] ?? '';
  if (/^(homecore|postgres) /.test(t)) return 'backend';
  return t.replace(/ for PID \d+.*$/, '').replace(/\s+\d+$/, '');
}

/** Samples the CPU of every process of the core's PostgreSQL: cumulative seconds by kind, at any time. */
class PgSampler {
  private readonly last = new Map<number, { kind: string; self: number }>();
  private readonly gone = new Map<string, number>();
  readonly timeline: { t: number; byKind: Record<string, number> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly postmaster: number;
  /** The restore command's pid once started, and its CPU ticks at the last sample. */
  command = 0;
  private commandTicks = 0;
  constructor(postmaster: number) {
    this.postmaster = postmaster;
  }

  sample(): Record<string, number> {
    const seen = new Set<number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const pid = Number(d);
      const t = ticks(pid);
      if (t === null || (t.ppid !== this.postmaster && pid !== this.postmaster)) continue;
      seen.add(pid);
      const prev = this.last.get(pid);
      // A process just forked still bears the postmaster's title: asked again until it has its own.
      const kind = pid === this.postmaster ? 'postmaster' : prev === undefined || prev.kind === 'postmaster' ? kindOf(pid) : prev.kind;
      this.last.set(pid, { kind, self: t.self });
    }
    for (const [pid, p] of this.last) {
      if (seen.has(pid)) continue;
      this.gone.set(p.kind, (this.gone.get(p.kind) ?? 0) + p.self);
      this.last.delete(pid);
    }
    const byKind: Record<string, number> = Object.fromEntries(this.gone);
    for (const p of this.last.values()) byKind[p.kind] = (byKind[p.kind] ?? 0) + p.self;
    // The restore command itself (not PostgreSQL): kept apart, as `command`.
    const cmd = this.command === 0 ? null : ticks(this.command);
    if (cmd !== null) this.commandTicks = cmd.self;
    if (this.commandTicks > 0) byKind['command'] = this.commandTicks;
    for (const k of Object.keys(byKind)) byKind[k] = (byKind[k] ?? 0) / 100;
    return byKind;
  }

  start(): void {
    this.timer = setInterval(() => this.timeline.push({ t: Date.now(), byKind: this.sample() }), 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Pids of the live processes of one kind. */
  pids(kind: string): number[] {
    return [...this.last.entries()].filter(([, p]) => p.kind === kind).map(([pid]) => pid);
  }

  /** Cumulative CPU seconds by kind at the last sample taken at or before t. */
  at(t: number): Record<string, number> {
    let best = this.timeline[0]?.byKind ?? {};
    for (const s of this.timeline) if (s.t <= t) best = s.byKind;
    return best;
  }
}

const sum = (r: Record<string, number>): number => Object.entries(r).reduce((a, [k, v]) => (k === 'command' ? a : a + v), 0);
const diff = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
  Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 100) / 100]).filter(([, v]) => v !== 0));

interface Mark { t: number; msg: string; cpu?: number }

/** Runs bin/restore of `dist`, timestamping its progress lines. */
function restore(core: StartedCore, dir: string, sampler: PgSampler): Promise<Mark[]> {
  const marks: Mark[] = [{ t: Date.now(), msg: 'start' }];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(dist, 'bin', 'restore.js'), dir], { env: { ...process.env, ...core.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    sampler.command = child.pid ?? 0;
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) {
        try {
          const j = JSON.parse(l) as { msg?: string; cpuSeconds?: number; done?: number };
          if (j.msg !== undefined && j.msg !== 'progress') marks.push({ t: Date.now(), msg: j.msg, ...(j.cpuSeconds === undefined ? {} : { cpu: j.cpuSeconds }) });
        } catch {
          // not a log line
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => (code === 0 ? res(marks) : rej(new Error(`restore exit ${code}: ${out.slice(-500)}`))));
  });
}

/** Each deferred index and foreign key dropped and built again alone, with bulk-import.ts's settings. */
async function rebuildEach(core: StartedCore, sampler: PgSampler): Promise<string[]> {
  const db = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
  await db.connect();
  const rows: string[] = [];
  try {
    await db.query('CHECKPOINT');
    const { rows: idx } = await db.query<{ name: string; def: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = ANY ($1::regclass[]) AND NOT x.indisprimary AND NOT x.indisunique ORDER BY 1`, [TABLES]);
    const { rows: fks } = await db.query<{ table: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = ANY ($1::regclass[]) AND contype = 'f' ORDER BY 1, 2`, [TABLES]);
    const settings = (await db.query<{ s: string }>(`SELECT string_agg(name || '=' || setting, ' ') AS s FROM pg_settings
      WHERE name IN ('maintenance_work_mem', 'max_parallel_maintenance_workers', 'max_wal_size', 'wal_compression', 'shared_buffers', 'io_method')`)).rows[0]?.s;
    rows.push(`settings: ${settings ?? '?'}`);
    const timed = async (label: string, sql: string): Promise<void> => {
      const c0 = sampler.sample();
      const t0 = Date.now();
      await db.query(sql);
      const c1 = sampler.sample();
      rows.push(`| ${label} | ${((Date.now() - t0) / 1000).toFixed(2)} | ${sum(diff(c0, c1)).toFixed(2)} | ${JSON.stringify(diff(c0, c1))} |`);
    };
    await db.query(`SET maintenance_work_mem = '256MB'`);
    for (const i of idx) {
      await db.query(`DROP INDEX ${i.name}`);
      await timed(`index ${i.name}`, i.def);
    }
    for (const f of fks) {
      await db.query(`ALTER TABLE ${f.table} DROP CONSTRAINT ${f.name}`);
      await timed(`key ${f.table}.${f.name} (add NOT VALID)`, `ALTER TABLE ${f.table} ADD CONSTRAINT ${f.name} ${f.def} NOT VALID`);
      await timed(`key ${f.table}.${f.name} (validate)`, `ALTER TABLE ${f.table} VALIDATE CONSTRAINT ${f.name}`);
    }
  } finally {
    await db.end();
  }
  return rows;
}

/** WAL written so far (MB), checkpoints, and the vacuums and analyzes of events. */
async function walStats(core: StartedCore): Promise<Record<string, unknown>> {
  const db = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
  await db.connect();
  try {
    const { rows } = await db.query(`SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') / 1048576.0, 1) AS wal_mb,
        (SELECT num_timed FROM pg_stat_checkpointer) AS timed, (SELECT num_requested FROM pg_stat_checkpointer) AS requested,
        (SELECT buffers_written FROM pg_stat_checkpointer) AS ckpt_buffers,
        (SELECT wal_fpi FROM pg_stat_wal) AS fpi,
        (SELECT autovacuum_count || '/' || autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'events') AS events_autovac_analyze`);
    return rows[0] as Record<string, unknown>;
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  let dir = values.backup === undefined ? undefined : resolve(values.backup);
  // A parent holding one backup (a synthetic run's): that backup.
  const inside = dir !== undefined && existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir ?? '', n, 'manifest.json'))) : [];
  if (dir !== undefined && inside.length === 1) dir = join(dir, inside[0] ?? '');
  if (dir === undefined || !existsSync(join(dir, 'manifest.json'))) {
    const parent = dir ?? join('/var/tmp', `restore-phases-${Date.now()}`);
    mkdirSync(parent, { recursive: true });
    log(`writing a synthetic backup into ${parent}`);
    dir = await writeSyntheticBackup({ users: Number(values.users), events: Number(values.events), attachmentsMb: Number(values['attachments-mb']), dist, parent });
  }
  const core = await startCore({ root: dirname(dist), apiWorkers: 1, logLevel: 'warn', pgStats: false, audit: null, extraEnv: coreEnv(values['core-env']) });
  try {
    if (values.set.length > 0) {
      const su = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword(), database: 'postgres' });
      await su.connect();
      for (const s of values.set) {
        const [name, value] = s.split('=');
        await su.query(`ALTER SYSTEM SET ${name} = '${value}'`);
      }
      await su.query('SELECT pg_reload_conf()');
      await su.end();
      log(`set ${values.set.join(' ')} (reloaded; settings that need a restart are not applied)`);
    }
    const postmaster = Number(readFileSync(join(core.varDir, 'postgresql', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const sampler = new PgSampler(postmaster);
    sampler.start();
    // PHASES_PERF=<file>: `perf record -g` of the backends for 8 s, 2 s into the loading.
    const perfFile = process.env['PHASES_PERF'];
    if (perfFile !== undefined) {
      setTimeout(() => {
        const pids = sampler.pids('backend');
        log(`perf on backends ${pids.join(',')}`);
        spawn('perf', ['record', '-F', '499', '-g', '-o', perfFile, '-p', pids.join(','), '--', 'sleep', '8'], { stdio: 'ignore' });
      }, Number(process.env['PHASES_PERF_DELAY_MS'] ?? 8000));
    }
    const before = await walStats(core);
    const marks = await restore(core, dir, sampler);
    await new Promise((r) => setTimeout(r, 300));
    sampler.stop();
    const after = await walStats(core);
    const out = ['| phase | wall s | PostgreSQL CPU s | by process kind (and the command\'s own) |', '|---|---|---|---|'];
    for (let i = 1; i < marks.length; i += 1) {
      const a = marks[i - 1] as Mark;
      const b = marks[i] as Mark;
      const d = diff(sampler.at(a.t), sampler.at(b.t));
      out.push(`| ${a.msg} → ${b.msg} | ${((b.t - a.t) / 1000).toFixed(2)} | ${sum(d).toFixed(2)} | ${JSON.stringify(d)} |`);
    }
    const first = marks[0] as Mark;
    const lastMark = marks[marks.length - 1] as Mark;
    const total = diff(sampler.at(first.t), sampler.at(lastMark.t + 300));
    out.push(`| whole restore | ${((lastMark.t - first.t) / 1000).toFixed(2)} | ${sum(total).toFixed(2)} | ${JSON.stringify(total)} |`);
    out.push('', `command CPU s: ${lastMark.cpu ?? '?'}`, `WAL and checkpoints before: ${JSON.stringify(before)}`, `after: ${JSON.stringify(after)}`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (values['no-rebuild'] !== true) {
      sampler.start();
      const [settings, ...builds] = await rebuildEach(core, sampler);
      process.stdout.write(`\nEach deferred build alone, data loaded (${settings ?? ''}):\n\n| build | wall s | PostgreSQL CPU s | by kind |\n|---|---|---|---|\n${builds.join('\n')}\n`);
      sampler.stop();
    }
  } finally {
    // --keep <file>: the core keeps running (its connection settings in <file>) for more experiments.
    if (values.keep === undefined) await stopCore(core, true);
    else {
      writeFileSync(values.keep, JSON.stringify({ ...core, superuserPassword: core.superuserPassword() }, null, 1));
      releaseCore();
    }
  }
}

main().catch((err: Error) => {
  log(`failed: ${err.message}`);
  process.exit(1);
});
