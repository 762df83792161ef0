import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { projectRoot } from '../util/project-root.js';

/** The next time after `now` (exclusive of `now` itself) that is `at` ("HH:MM" or "HH:MM:SS") UTC. */
export function nextRunAt(at: string, now: Date): Date {
  const [h = 0, m = 0, s = 0] = at.split(':').map(Number);
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m, s));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

/**
 * The master's nightly backup (config `backup.schedule`, docs/operations.md#nightly-backups): at the
 * set UTC time it runs bin/backup as a child process with the master's configuration (HOMECORE_CONFIG
 * and the HOMECORE_* env it was given), its JSON log lines passed through. A run still going at the
 * next time is not doubled; stopping the master stops a running backup (its `.partial` dir stays,
 * refused by restore and left alone by retention).
 */
export class BackupSchedule {
  private timer: NodeJS.Timeout | null = null;
  private child: ChildProcess | null = null;
  private readonly log: Logger;

  constructor(private readonly config: Readonly<Config>, logger: Logger) {
    this.log = logger.child({ component: 'backup-schedule' });
  }

  start(): void {
    const at = this.config.backup.schedule;
    if (at === null) return;
    const next = nextRunAt(at, new Date());
    this.log.info({ next: next.toISOString() }, 'next backup');
    this.timer = setTimeout(() => {
      this.run();
      this.start();
    }, next.getTime() - Date.now());
    this.timer.unref();
  }

  private run(): void {
    if (this.child !== null) {
      this.log.warn('previous backup still running: this one is skipped');
      return;
    }
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'bin', 'backup.js')], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${line}\n`));
    child.on('exit', (code, signal) => {
      this.child = null;
      if (code === 0) this.log.info('backup done');
      else this.log.error({ code, signal }, 'backup failed (its log lines above say why)');
    });
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.child?.kill('SIGTERM');
  }
}
