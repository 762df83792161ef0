/**
 * bench/backup (docs/benchmarks.md#backup-and-restore): seeds a fresh core through the API (users ×
 * events, attachments), runs bin/backup on it, then bin/restore into a second fresh core, and reports
 * users/s, events/s and MB/s each way. Runs as TypeScript through Node 22's type stripping.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { killCoreSync, startCore, stopCore, type StartedCore } from './core.ts';
import { expectStatus, field } from './http.ts';
import { load, machineFacts } from './machine.ts';
import { writeSyntheticBackup } from './synthetic-backup.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);

const USAGE = `bench/backup [options]

  --users <n>            users to seed (default 1000)
  --events <n>           events per user (default 1000)
  --attachments-mb <n>   attached bytes in all, spread over the users in files of at most 1 MiB (default 1024)
  --compress             back up with --compress
  --passphrase           back up encrypted (a generated passphrase)
  --out <name>           results file name without extension (default: the start date-time + "-backup")
  --dists <a,b,…>        builds to compare on the same seeded core, each a dist/ directory (default: this tree's dist);
                         each backs up the source in turn, then restores its own backup into a fresh core
  --rounds <n>           backups and restores per build, alternating between the builds (default 1); the median is reported
  --keep-backup <dir>    keep the first build's backup in <dir> (for --from-backup)
  --from-backup <dir>    seed the source core by restoring this backup (with the first build, not measured) instead of
                         through the API: the same data set again in a minute rather than the long API seeding
                         (a backup without --passphrase: each run makes a new one)
  --synthetic            seed the source core by restoring a backup written straight in bin/backup's format
                         (bench/src/synthetic-backup.ts: --users × --events and --attachments-mb, in a minute);
                         that first restore (by the first build) is measured and reported too
  --cold                 drop the page cache (root: sync, then /proc/sys/vm/drop_caches) right before each measured
                         restore, which then reads the backup from disk, as a restore of last night's backup does
`;

interface Options {
  users: number; events: number; attachmentsMb: number; compress: boolean; passphrase: boolean; out: string | null;
  dists: string[]; rounds: number; keepBackup: string | null; fromBackup: string | null; synthetic: boolean; cold: boolean;
}

function options(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' }, events: { type: 'string' }, 'attachments-mb': { type: 'string' }, compress: { type: 'boolean' },
      passphrase: { type: 'boolean' }, out: { type: 'string' }, dists: { type: 'string' }, rounds: { type: 'string' },
      'keep-backup': { type: 'string' }, 'from-backup': { type: 'string' }, synthetic: { type: 'boolean' }, cold: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const n = (v: string | undefined, d: number): number => {
    const x = v === undefined ? d : Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`expected a whole number, got ${v}`);
    return x;
  };
  return {
    users: n(values.users, 1000), events: n(values.events, 1000), attachmentsMb: n(values['attachments-mb'], 1024),
    compress: values.compress === true, passphrase: values.passphrase === true, out: values.out ?? null,
    dists: (values.dists ?? join(ROOT, 'dist')).split(',').map((d) => resolve(d)), rounds: Math.max(1, n(values.rounds, 1)),
    keepBackup: values['keep-backup'] ?? null, fromBackup: values['from-backup'] ?? null, synthetic: values.synthetic === true,
    cold: values.cold === true,
  };
}

/** --cold: the backup's files (and everything else) out of the page cache; refuses loudly when not permitted. */
function dropPageCache(): void {
  execFileSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  } catch (err) {
    throw new Error(`--cold needs root to write /proc/sys/vm/drop_caches: ${(err as Error).message}`);
  }
}

async function seedUser(core: StartedCore, username: string, events: number, attachBytes: number): Promise<void> {
  const body = await expectStatus(201, 'POST', `${core.apiUrl}users`, {
    body: { username, password: `pw-${randomBytes(9).toString('base64url')}`, email: `${username}@bench.invalid`, appId: 'homecore-bench' },
  });
  const endpoint = new URL(field<string>(body, 'apiEndpoint'));
  const token = decodeURIComponent(endpoint.username);
  endpoint.username = '';
  const base = endpoint.toString();
  await expectStatus(200, 'POST', base, { token, body: [{ method: 'streams.create', params: { id: 'diary', name: 'Diary' } }] });
  const now = Date.now() / 1000;
  for (let from = 0; from < events; from += 1000) {
    const calls = Array.from({ length: Math.min(1000, events - from) }, (_, k) => ({
      method: 'events.create',
      params: { streamIds: ['diary'], type: (from + k) % 2 === 0 ? 'note/txt' : 'mass/kg', time: now - (from + k) * 60, content: (from + k) % 2 === 0 ? `bench note ${from + k}` : 60 + ((from + k) % 400) / 10 },
    }));
    await expectStatus(200, 'POST', base, { token, body: calls, timeoutMs: 600_000 });
  }
  for (let left = attachBytes; left > 0; left -= 1 << 20) {
    const form = new FormData();
    form.append('event', JSON.stringify({ streamIds: ['diary'], type: 'file/attached' }));
    form.append('file', new Blob([randomBytes(Math.min(left, 1 << 20))]), 'data.bin');
    const res = await fetch(`${base}events`, { method: 'POST', headers: { authorization: token }, body: form });
    if (res.status !== 201) throw new Error(`attachment upload answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer();
  }
}

/**
 * CPU seconds of the core's PostgreSQL so far: the postmaster's own and that of its children it
 * reaped (the backends of connections closed by then), from /proc; null when not readable.
 */
function pgCpuSeconds(core: StartedCore): number | null {
  try {
    const pid = readFileSync(join(core.varDir, 'postgresql', 'postmaster.pid'), 'utf8').split('\n')[0]?.trim() ?? '';
    // Fields after the command name: utime is the 14th field of the line, cstime the 17th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) / 100;
  } catch {
    return null;
  }
}

/** Runs a dist/bin command with the core's env: its wall time, and the CPU time it reports in its last `done` log line. */
function runBin(core: StartedCore, dist: string, script: string, args: string[]): Promise<Run> {
  const started = process.hrtime.bigint();
  const pgBefore = pgCpuSeconds(core);
  return new Promise((resolve, reject) => {
    // BENCH_CPU_PROF_DIR: a CPU profile of the command (node bench/src/profile-summary.ts reads it).
    const prof = process.env.BENCH_CPU_PROF_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`];
    const child = spawn(process.execPath, [...prof, join(dist, 'bin', script), ...args], { env: { ...process.env, ...core.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${script} exit ${code}: ${(err + out).slice(-1500)}`));
      const done = out.split('\n').filter((l) => l.includes('"msg":"done"')).pop();
      const cpu = done === undefined ? null : (JSON.parse(done) as { cpuSeconds?: number }).cpuSeconds ?? null;
      // The command's connections are closed when it exits: their backends are reaped soon after.
      setTimeout(() => {
        const pgAfter = pgCpuSeconds(core);
        const pgCpu = pgBefore === null || pgAfter === null ? null : Math.round((pgAfter - pgBefore) * 100) / 100;
        resolve({ seconds, cpuSeconds: cpu, pgCpuSeconds: pgCpu });
      }, 1000);
    });
  });
}

const settings = (extra: Record<string, string>, root = ROOT) => ({
  root, apiWorkers: null, logLevel: 'warn', pgStats: false, audit: null,
  extraEnv: { HOMECORE_ATTEMPT_LIMITS__REGISTRATION_PER_ADDRESS__FREE: '100000', HOMECORE_ATTACHMENTS__MAX_SIZE_BYTES: String(2 << 20), ...extra },
});

/**
 * startCore picks free ports at random: a clash (two alike) is tried again. `root`: the tree whose
 * master runs the core (a restore target runs its build's own, so each build restores into its own schema).
 */
async function freshCore(root = ROOT): Promise<StartedCore> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startCore(settings({}, root));
    } catch (err) {
      if (attempt >= 3 || !(err as Error).message.includes('port clash')) throw err;
    }
  }
}

interface Run { seconds: number; cpuSeconds: number | null; pgCpuSeconds: number | null }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** The median run by wall time (its CPU seconds with it). */
const medianRun = (runs: Run[]): Run => {
  const m = median(runs.map((r) => r.seconds));
  return runs.reduce((best, r) => (Math.abs(r.seconds - m) < Math.abs(best.seconds - m) ? r : best), runs[0] as Run);
};

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  if (o === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const startedAt = new Date();
  const work = mkdtempSync(join(tmpdir(), 'homecore-bench-backup-'));
  const passFile = join(work, 'passphrase');
  writeFileSync(passFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const backupArgs = (dir: string): string[] => ['--dir', dir, ...(o.compress ? ['--compress'] : []), ...(o.passphrase ? ['--passphrase-file', passFile] : [])];
  // The source runs the first build (the oldest of an A/B), so every build can restore its backups.
  const first = o.dists[0] ?? join(ROOT, 'dist');
  const source = await freshCore(dirname(first));
  const seedStart = Date.now();
  let seedRestore: Run | null = null;
  if (o.synthetic) {
    log(`writing a synthetic backup of ${o.users} users × ${o.events} events, ${o.attachmentsMb} MB of attachments`);
    const dir = await writeSyntheticBackup({ users: o.users, events: o.events, attachmentsMb: o.attachmentsMb, dist: first, parent: join(work, 'synthetic') });
    log(`written in ${((Date.now() - seedStart) / 1000).toFixed(0)} s; restoring it into the source core`);
    seedRestore = await runBin(source, first, 'restore.js', [dir]);
    log(`restore of the synthetic backup: ${seedRestore.seconds.toFixed(1)} s, ${seedRestore.cpuSeconds ?? '?'} CPU s, PostgreSQL ${seedRestore.pgCpuSeconds ?? '?'} CPU s`);
    rmSync(join(work, 'synthetic'), { recursive: true, force: true });
  } else if (o.fromBackup !== null) {
    log(`seeding the source core from ${o.fromBackup}`);
    await runBin(source, first, 'restore.js', [resolve(o.fromBackup)]);
  } else {
    log(`seeding ${o.users} users × ${o.events} events, ${o.attachmentsMb} MB of attachments`);
    const perUser = Math.floor((o.attachmentsMb * (1 << 20)) / Math.max(1, o.users));
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = next++; i < o.users; i = next++) {
        await seedUser(source, `bk${String(i).padStart(6, '0')}`, o.events, perUser);
        if ((i + 1) % Math.max(1, Math.floor(o.users / 10)) === 0) log(`seeded ${i + 1}/${o.users}`);
      }
    }));
  }
  log(`seeded in ${((Date.now() - seedStart) / 1000).toFixed(0)} s; backing up`);
  const loadBefore = load();
  // Backups of every build and round, alternating builds, into a directory each; the last of each build is restored.
  const backups: Run[][] = o.dists.map(() => []);
  const dirs: string[] = [];
  for (let round = 0; round < o.rounds; round += 1) {
    for (const [i, dist] of o.dists.entries()) {
      const parent = join(work, `backups-${i}-${round}`);
      const run = await runBin(source, dist, 'backup.js', backupArgs(parent));
      backups[i]?.push(run);
      log(`backup ${dist} round ${round + 1}: ${run.seconds.toFixed(1)} s, ${run.cpuSeconds ?? '?'} CPU s, PostgreSQL ${run.pgCpuSeconds ?? '?'} CPU s`);
      if (round === o.rounds - 1) dirs[i] = join(parent, readdirSync(parent).find((n) => !n.endsWith('.partial')) ?? '');
      else rmSync(parent, { recursive: true, force: true });
    }
  }
  const manifest = JSON.parse(readFileSync(join(dirs[0] ?? '', 'manifest.json'), 'utf8')) as { totals: Record<string, number>; files: Record<string, { size: number }> };
  const storedBytes = Object.values(manifest.files).reduce((s, f) => s + f.size, 0);
  if (o.keepBackup !== null) cpSync(dirs[0] ?? '', resolve(o.keepBackup), { recursive: true });
  await stopCore(source, true);
  const restores: Run[][] = o.dists.map(() => []);
  for (let round = 0; round < o.rounds; round += 1) {
    for (const [i, dist] of o.dists.entries()) {
      const target = await freshCore(dirname(dist));
      if (o.cold) dropPageCache();
      const run = await runBin(target, dist, 'restore.js', [...(o.passphrase ? ['--passphrase-file', passFile] : []), dirs[i] ?? '']);
      await stopCore(target, true);
      restores[i]?.push(run);
      log(`restore ${dist} round ${round + 1}: ${run.seconds.toFixed(1)} s, ${run.cpuSeconds ?? '?'} CPU s, PostgreSQL ${run.pgCpuSeconds ?? '?'} CPU s`);
    }
  }
  const users = manifest.totals.users ?? 0;
  const events = manifest.totals.event ?? 0;
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const rate = (runs: Run[]) => {
    const run = medianRun(runs);
    return {
      seconds: r1(run.seconds), usersPerS: r1(users / run.seconds), eventsPerS: Math.round(events / run.seconds), mbPerS: r1(storedBytes / (1 << 20) / run.seconds),
      cpuSeconds: run.cpuSeconds, eventsPerCpuS: run.cpuSeconds === null || run.cpuSeconds === 0 ? null : Math.round(events / run.cpuSeconds),
      pgCpuSeconds: run.pgCpuSeconds,
      allSeconds: runs.map((r) => r1(r.seconds)),
    };
  };
  const row = (r: ReturnType<typeof rate>): string =>
    `${r.seconds} | ${r.usersPerS} | ${r.eventsPerS} | ${r.mbPerS} | ${r.cpuSeconds ?? '?'} | ${r.eventsPerCpuS ?? '?'} | ${r.pgCpuSeconds ?? '?'} | ${r.allSeconds.join(', ')}`;
  const builds = o.dists.map((dist, i) => ({ dist, backup: rate(backups[i] ?? []), restore: rate(restores[i] ?? []) }));
  const result = {
    startedAt: startedAt.toISOString(), options: o, machine: machineFacts(), loadBefore, loadAtEnd: load(),
    totals: manifest.totals, storedMB: Math.round((storedBytes / (1 << 20)) * 10) / 10,
    backup: builds[0]?.backup, restore: builds[0]?.restore, builds, syntheticRestore: seedRestore === null ? null : rate([seedRestore]),
  };
  const out = o.out ?? `${startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}-backup`;
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `${out}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `# Backup and restore, ${result.startedAt}`, '',
    `${users} users, ${events} events, ${manifest.totals.attachments ?? 0} attachments, ${result.storedMB} MB stored` +
      `${o.compress ? ', compressed' : ''}${o.passphrase ? ', encrypted' : ''}; load ${loadBefore.join(' ')} before, ${result.loadAtEnd.join(' ')} after.` +
      `${o.rounds > 1 ? ` Median of ${o.rounds} rounds, builds alternating.` : ''}` +
      `${o.cold ? ' Page cache dropped before each restore (--cold).' : ''}`, '',
    '| build | | seconds | users/s | events/s | MB/s | CPU s of the command | events per CPU s | CPU s of PostgreSQL | every round (s) |', '|---|---|---|---|---|---|---|---|---|---|',
    ...builds.flatMap((b) => (['backup', 'restore'] as const).map((k) =>
      `| ${b.dist} | ${k} | ${row(b[k])} |`)),
    ...(result.syntheticRestore === null ? [] : [`| ${first} | restore of the synthetic backup (seeding) | ${row(result.syntheticRestore)} |`]), '',
    'Wall time includes the command\'s start (Node, config, connections) and, for restore, its integrity check. CPU s of the',
    'command: its own process. CPU s of PostgreSQL: the core\'s server and its backends over the command (and whatever else',
    'the core asked of it meanwhile); rqlited not included. The figure of the median run by wall time.', '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'results', `${out}.md`), md);
  process.stdout.write(md);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: Error) => {
  log(`failed: ${err.message}`);
  killCoreSync();
  process.exit(1);
});
