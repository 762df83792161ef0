import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/project-root.js';
import { sleep } from '../../src/util/backoff.js';

export interface ServerState { backend: string; server: string; status: string; sessionsTotal: number }

/**
 * HAProxy from Debian's package, run in the foreground with the repository's config/haproxy.cfg and
 * the addresses in its environment variables (bin/test installs it when missing).
 */
export class HaProxy {
  readonly logs: string[] = [];
  private child: ChildProcess | null = null;

  constructor(private readonly env: Record<string, string>) {}

  static available(): boolean {
    return spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).status === 0;
  }

  get statsUrl(): string {
    return `http://${this.env['HOMECORE_LB_STATS']}/stats;csv`;
  }

  async start(): Promise<void> {
    const child = spawn('haproxy', ['-db', '-f', join(projectRoot(), 'config', 'haproxy.cfg')], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const s of [child.stdout, child.stderr]) s?.on('data', (d: Buffer) => this.logs.push(d.toString('utf8')));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${this.logs.join('')}`);
      if ((await this.states().catch(() => [])).length > 0) return;
      await sleep(100);
    }
    throw new Error(`haproxy stats not answering: ${this.logs.join('')}`);
  }

  /** Every server line of the stats CSV (`# pxname,svname,…,status,…`). */
  async states(): Promise<ServerState[]> {
    const text = await (await fetch(this.statsUrl)).text();
    const [header, ...lines] = text.split('\n');
    const cols = (header ?? '').replace(/^# /, '').split(',');
    const at = (name: string): number => cols.indexOf(name);
    return lines
      .map((l) => l.split(','))
      .filter((c) => c.length > 1 && c[at('svname')] !== 'FRONTEND' && c[at('svname')] !== 'BACKEND')
      .map((c) => ({ backend: c[at('pxname')] ?? '', server: c[at('svname')] ?? '', status: c[at('status')] ?? '', sessionsTotal: Number(c[at('stot')] ?? 0) }));
  }

  async state(backend: string, server: string): Promise<ServerState | undefined> {
    return (await this.states()).find((s) => s.backend === backend && s.server === server);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
