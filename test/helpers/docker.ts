import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../src/util/backoff.js';
import { projectRoot } from '../../src/util/project-root.js';

/**
 * The Docker CLI and engine for test/docker/: runs `docker …` (legacy builder: DOCKER_BUILDKIT=0,
 * since buildx is missing here), the machine preparation (test/docker/prepare.sh), a cross-run lock
 * and the teardown of what the run started.
 */

export interface RunResult { code: number; stdout: string; stderr: string }

const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: '0' };

/** Runs a command to completion; never throws (the caller checks `code`). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? DOCKER_ENV, cwd: opts.cwd ?? projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = opts.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    const done = (code: number, extra = ''): void => {
      if (timer !== null) clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + extra });
    };
    child.once('error', (e) => done(127, `\n${cmd}: ${e.message}`));
    child.once('close', (code, signal) => done(code ?? 128, signal === null ? '' : `\n${cmd} killed by ${signal}`));
  });
}

/** `docker …`; throws with the command's output when it fails. */
export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await run('docker', args, { timeoutMs });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${tail(r.stderr || r.stdout, 40)}`);
  return r.stdout;
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface DockerEnv { dockerdPid: number | null; nodeImage: string; goImage: string }

/** Installs and starts what is missing and makes the local bases (test/docker/prepare.sh). */
export async function prepareDocker(withGo: boolean): Promise<DockerEnv> {
  const script = join(projectRoot(), 'test', 'docker', 'prepare.sh');
  const r = await run(script, withGo ? ['--go'] : [], { timeoutMs: 40 * 60_000 });
  if (r.code !== 0) throw new Error(`Docker cannot run here: test/docker/prepare.sh exited ${r.code}\n${tail(r.stderr, 40)}`);
  const kv = new Map(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const nodeImage = kv.get('NODE_IMAGE');
  const goImage = kv.get('GO_IMAGE');
  if (nodeImage === undefined || goImage === undefined) throw new Error(`prepare.sh printed no base images:\n${r.stdout}`);
  const pid = kv.get('DOCKERD_PID') ?? '';
  return { dockerdPid: pid === '' ? null : Number(pid), nodeImage, goImage };
}

/** Stops the dockerd this run started (by its pid) and waits for it to exit. */
export async function stopDockerd(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`dockerd (pid ${pid}) still running 30 s after SIGTERM`);
}

/**
 * One Docker image test at a time on this machine (a second run would share the engine, the image
 * tag and, worse, stop the dockerd the first one uses): an exclusive flock(1) held by a child that
 * exits when its stdin closes, so the lock also goes when this process dies.
 */
export async function lockMachine(lockFile = '/var/tmp/homecore-docker-test.lock', waitSeconds = 1800): Promise<() => void> {
  const child: ChildProcess = spawn('flock', ['-w', String(waitSeconds), lockFile, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`could not lock ${lockFile} (flock exited ${code})`)));
    child.once('error', reject);
  });
  return () => child.stdin?.end();
}

export interface StagedRqlited { sha256: string; version: string }

const STAGE_DIR = (): string => join(projectRoot(), 'docker', 'rqlited-prebuilt');

/**
 * Puts the rqlited bin/setup installed (the one the other suites ran against) in the image's build
 * context, when it is a go-module-proxy build (docker/rqlited-prebuilt/README.md); null otherwise, and
 * the image then builds rqlited itself (needs the Go base).
 */
export function stageTestedRqlited(): StagedRqlited | null {
  const dir = join(projectRoot(), '.tools', 'rqlited');
  let manifest: { source?: unknown; sha256?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    return null;
  }
  if (manifest.source !== 'go-module-proxy' || typeof manifest.sha256 !== 'string') return null;
  for (const f of ['rqlited', 'manifest.json']) copyFileSync(join(dir, f), join(STAGE_DIR(), f));
  return { sha256: manifest.sha256, version: String(manifest.version) };
}

export function unstageRqlited(): void {
  for (const f of ['rqlited', 'manifest.json']) rmSync(join(STAGE_DIR(), f), { force: true });
}
