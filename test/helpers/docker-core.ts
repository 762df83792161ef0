import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../src/util/backoff.js';
import { httpStatus, type HttpResult } from './core-process.js';
import { docker, run, tail } from './docker.js';
import { freePorts } from './free-port.js';

/**
 * A homecore core run from the image as an operator would (`docker run --network host`, one named
 * volume, a mounted config file + HOMECORE_* variables), on free loopback ports so it never meets
 * another core of the suite or a developer's `bin/start`.
 */

export interface ContainerPorts { api: number; hfs: number; previews: number; rqliteHttp: number; rqliteRaft: number; pg: number }

export class CoreSetup {
  readonly volume: string;
  private readonly dir: string;
  readonly configFile: string;

  private constructor(readonly image: string, readonly ports: ContainerPorts, readonly tag: string) {
    this.volume = `homecore-test-${tag}`;
    this.dir = mkdtempSync(join(tmpdir(), 'homecore-docker-'));
    chmodSync(this.dir, 0o755);
    this.configFile = join(this.dir, 'core.yml');
    // Mounted read-only and read by uid 10001 in the container. The ports come from this file: the
    // HEALTHCHECK only turns healthy if the probe finds the API port where the master put it.
    writeFileSync(this.configFile, [
      'http:',
      '  bindAddress: 127.0.0.1',
      `  apiPort: ${ports.api}`,
      `  hfsPort: ${ports.hfs}`,
      `  previewsPort: ${ports.previews}`,
      'service:',
      '  name: homecore-in-docker',
      '',
    ].join('\n'), { mode: 0o644 });
  }

  static async create(image: string): Promise<CoreSetup> {
    const ports = await freePorts(6);
    const [api, hfs, previews, rqliteHttp, rqliteRaft, pg] = ports as [number, number, number, number, number, number];
    const tag = `${Date.now().toString(36)}-${process.pid}`;
    return new CoreSetup(image, { api, hfs, previews, rqliteHttp, rqliteRaft, pg }, tag);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  /** `docker run -d` of one core; the container is named `<volume>-<n>`. */
  async start(n: number): Promise<CoreContainer> {
    const name = `${this.volume}-${n}`;
    const p = this.ports;
    const env = {
      HOMECORE_CONFIG: '/etc/homecore/core.yml',
      HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: String(p.rqliteHttp),
      HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `127.0.0.1:${p.rqliteRaft}`,
      HOMECORE_STORAGES__POSTGRESQL__PORT: String(p.pg),
      HOMECORE_PLATFORM__PUBLIC_URL: `${this.apiUrl}/`,
      HOMECORE_SERVICE__HOME: `${this.apiUrl}/`,
    };
    const startedAt = Date.now();
    await docker([
      'run', '-d', '--name', name, '--network', 'host', '--stop-timeout', '45',
      // The image's probe, polled faster than its 10 s interval so the test need not wait for it.
      '--health-interval', '2s',
      '-v', `${this.volume}:/var/lib/homecore`,
      '-v', `${this.configFile}:/etc/homecore/core.yml:ro`,
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      this.image,
    ]);
    return new CoreContainer(name, this, startedAt);
  }

  /** Removes every container of this setup, its volume and the config file. */
  async remove(): Promise<void> {
    const ids = (await run('docker', ['ps', '-aq', '--filter', `name=^${this.volume}-`])).stdout.split('\n').filter((s) => s !== '');
    if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
    await run('docker', ['volume', 'rm', '-f', this.volume]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class CoreContainer {
  constructor(readonly name: string, readonly setup: CoreSetup, readonly startedAt: number) {}

  async inspect(format: string): Promise<string> {
    return (await docker(['inspect', '-f', format, this.name])).trim();
  }

  /** stdout and stderr of the container, apart. */
  async logs(): Promise<{ stdout: string; stderr: string }> {
    const r = await run('docker', ['logs', this.name]);
    if (r.code !== 0) throw new Error(`docker logs ${this.name}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
  }

  async fail(message: string): Promise<Error> {
    const logs = await this.logs().catch(() => ({ stdout: '', stderr: '' }));
    const lines = logs.stdout.split('\n').filter((l) => !/"msg":"(incoming request|request completed)"/.test(l));
    return new Error(`${message}\n--- last log lines of ${this.name} ---\n${tail(lines.join('\n'), 30)}\n${tail(logs.stderr, 10)}`);
  }

  /** Polls GET /ready on the API, HFS and previews ports; returns ms from `docker run` to all 200. */
  async waitReady(timeoutMs: number): Promise<number> {
    const deadline = this.startedAt + timeoutMs;
    const p = this.setup.ports;
    for (const port of [p.api, p.hfs, p.previews]) {
      let last: HttpResult | null = null;
      for (;;) {
        last = await httpStatus(port, '/ready');
        if (last.status === 200) break;
        if ((await this.inspect('{{.State.Running}}')) !== 'true') throw await this.fail(`${this.name} exited before /ready was 200`);
        if (Date.now() > deadline) throw await this.fail(`no 200 from /ready on port ${port} within ${timeoutMs} ms (last: ${last.status} ${last.text})`);
        await sleep(100);
      }
    }
    return Date.now() - this.startedAt;
  }

  /**
   * CPU time the container used so far (its cgroup: v1 cpuacct or v2 cpu.stat), in seconds; null if
   * neither is found. Printed beside start times: on this shared machine the wall time mostly says
   * how loaded it was, the CPU time what the start costs.
   */
  async cpuSeconds(): Promise<number | null> {
    const id = await this.inspect('{{.Id}}');
    const read = (file: string): string | null => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return null;
      }
    };
    const v1 = read(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`) ?? read(`/sys/fs/cgroup/cpu,cpuacct/docker/${id}/cpuacct.usage`);
    if (v1 !== null) return Number(v1) / 1e9;
    const v2 = read(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`);
    const usec = v2?.match(/^usage_usec (\d+)/m)?.[1];
    return usec === undefined ? null : Number(usec) / 1e6;
  }

  /** "12.3 s (CPU 9.8 s, load 4.1)": a start time with what explains it. */
  async startFigure(ms: number): Promise<string> {
    const cpu = await this.cpuSeconds();
    return `${(ms / 1000).toFixed(1)} s (container CPU ${cpu === null ? '?' : cpu.toFixed(1)} s, load average ${loadavg()[0]?.toFixed(1) ?? '?'})`;
  }

  async waitHealth(status: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = await this.inspect('{{.State.Health.Status}}');
      if (last === status) break;
      if (Date.now() > deadline) throw await this.fail(`health is "${last}", not "${status}", after ${timeoutMs} ms`);
      await sleep(500);
    }
  }
}
