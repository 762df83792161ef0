import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../src/util/backoff.js';
import { docker, run, tail } from './docker.js';
import { freePorts } from './free-port.js';

/**
 * The documented 3-core loopback platform (bin/platform-demo) as containers, through the operator's
 * commands of docs/operations.md#docker: `bootstrap.js init` in a one-off container on core-a's
 * volume, `docker exec core-a bootstrap.js new-core`, the bundle and passphrase copied out
 * (`docker cp`), made readable by the image's user and mounted read-only into the new core's
 * container, which gets `--bootstrap … --bootstrap-passphrase-file …` after the image name.
 */

/** The image's user (Dockerfile HOMECORE_UID): mounted files must be readable by it. */
const IMAGE_UID = 10001;
export const HOSTING = 'docker-platform';

export interface PlatformCore {
  id: string;
  ip: string;
  url: string;
  name: string;
  volume: string;
  configFile: string;
  ports: { api: number; hfs: number; rqliteHttp: number; raft: number; pg: number };
}

export class DockerPlatform {
  readonly cores: PlatformCore[] = [];
  private constructor(readonly image: string, readonly tag: string, private readonly dir: string) {}

  /** Three cores on 127.0.0.2, .3 and .4, each with free ports, its own volume and config file. */
  static async create(image: string): Promise<DockerPlatform> {
    const tag = `${Date.now().toString(36)}-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'homecore-docker-platform-'));
    chmodSync(dir, 0o755);
    const platform = new DockerPlatform(image, tag, dir);
    for (const [letter, ip] of [['a', '127.0.0.2'], ['b', '127.0.0.3'], ['c', '127.0.0.4']] as const) {
      // rqlite HTTP and PostgreSQL listen on 127.0.0.1 in every container (one host network).
      const [api, hfs] = await freePorts(2, ip) as [number, number];
      const [rqliteHttp, raft, pg] = await freePorts(3, '127.0.0.1') as [number, number, number];
      const name = `homecore-platform-${tag}-${letter}`;
      const configFile = join(dir, `core-${letter}.yml`);
      // Per-core keys only, as in bin/platform-demo; the cluster identity comes from init / the bundle.
      writeFileSync(configFile, [
        `http: { apiPort: ${api}, hfsPort: ${hfs} }`,
        'cluster: { apiWorkers: 1, hfsWorkers: 1, previewsWorker: false, drainMs: 1000 }',
        `platformDb: { rqlited: { httpPort: ${rqliteHttp}, raftAddress: "${ip}:${raft}" } }`,
        `storages: { postgresql: { port: ${pg} } }`,
        `registration: { hosting: ${HOSTING} }`,
        '',
      ].join('\n'), { mode: 0o644 });
      platform.cores.push({ id: `core-${letter}`, ip, url: `http://${ip}:${api}/`, name, volume: name, configFile, ports: { api, hfs, rqliteHttp, raft, pg } });
    }
    return platform;
  }

  /** Options of every `docker run` on a core's volume and configuration. */
  private runOptions(core: PlatformCore): string[] {
    return [
      '--network', 'host',
      '-v', `${core.volume}:/var/lib/homecore`,
      '-v', `${core.configFile}:/etc/homecore/core.yml:ro`,
      '-e', 'HOMECORE_CONFIG=/etc/homecore/core.yml',
      // The image binds 0.0.0.0 by default: each core on its own loopback address instead.
      '-e', `HOMECORE_HTTP__BIND_ADDRESS=${core.ip}`,
    ];
  }

  /** `bin/bootstrap.js` in a running core's container (its configuration and var dir). */
  async exec(core: PlatformCore, args: string[]): Promise<string> {
    return docker(['exec', core.name, 'node', '/app/bin/bootstrap.js', ...args]);
  }

  /** core-a: `bootstrap.js init` in a one-off container on its volume, then the core itself. */
  async startFirst(): Promise<void> {
    const a = this.core('a');
    await docker(['run', '--rm', ...this.runOptions(a), '--entrypoint', 'node', this.image, '/app/bin/bootstrap.js', 'init',
      '--id', a.id, '--url', a.url, '--ip', a.ip, '--domain', 'docker-platform.homecore.test', '--hosting', HOSTING]);
    await this.run(a, []);
  }

  /** A new core: bundle issued by core-a, copied out, mounted read-only, applied by the master. */
  async join(letter: 'b' | 'c'): Promise<void> {
    const a = this.core('a');
    const core = this.core(letter);
    const inA = `/var/lib/homecore/${core.id}`;
    await this.exec(a, ['new-core', '--id', core.id, '--url', core.url, '--ip', core.ip, '--hosting', HOSTING,
      '--raft-address', `${core.ip}:${core.ports.raft}`, '--out', `${inA}.bundle`, '--passphrase-file', `${inA}.pass`]);
    const files: string[] = [];
    for (const ext of ['bundle', 'pass']) {
      const local = join(this.dir, `${core.id}.${ext}`);
      await docker(['cp', `${a.name}:${inA}.${ext}`, local]);
      chownSync(local, IMAGE_UID, IMAGE_UID);
      chmodSync(local, 0o400);
      files.push(local);
    }
    await docker(['exec', a.name, 'rm', `${inA}.bundle`, `${inA}.pass`]);
    await this.run(core, [
      '-v', `${files[0]}:/run/homecore/bundle:ro`, '-v', `${files[1]}:/run/homecore/passphrase:ro`,
    ], ['--bootstrap', '/run/homecore/bundle', '--bootstrap-passphrase-file', '/run/homecore/passphrase']);
  }

  private async run(core: PlatformCore, extra: string[], args: string[] = []): Promise<void> {
    await docker(['run', '-d', '--name', core.name, '--stop-timeout', '45', ...this.runOptions(core), ...extra, this.image, ...args]);
  }

  core(letter: 'a' | 'b' | 'c'): PlatformCore {
    const core = this.cores.find((c) => c.id === `core-${letter}`);
    if (core === undefined) throw new Error(`no core ${letter}`);
    return core;
  }

  /**
   * Waits for the master's `core "<id>" ready at` line: written after the workers serve, the join is
   * acknowledged (the core is then available for placement) and the availability flag is set.
   */
  async waitStarted(core: PlatformCore, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const logs = await run('docker', ['logs', core.name]);
      if (logs.stdout.includes(`core \\"${core.id}\\" ready at`)) return;
      const running = (await run('docker', ['inspect', '-f', '{{.State.Running}}', core.name])).stdout.trim();
      if (running !== 'true' || Date.now() > deadline) {
        const lines = logs.stdout.split('\n').filter((l) => !/"msg":"(incoming request|request completed)"/.test(l));
        throw new Error(`${core.name} ${running === 'true' ? 'not started in time' : 'exited'}\n${tail(lines.join('\n'), 25)}\n${tail(logs.stderr, 10)}`);
      }
      await sleep(250);
    }
  }

  /** Stops every container (in parallel: each drains on its own), then removes them and their volumes. */
  async remove(): Promise<void> {
    const names = this.cores.map((c) => c.name);
    await Promise.all(names.map((n) => run('docker', ['stop', '-t', '45', n])));
    await run('docker', ['rm', '-f', ...names]);
    await run('docker', ['volume', 'rm', '-f', ...this.cores.map((c) => c.volume)]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
