import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from '../util/backoff.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process, or null (Linux /proc). */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return null;
  }
}

export function readPid(file: string): number | null {
  try {
    // postmaster.pid holds the pid on its first line; our own files hold only the pid.
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writePid(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`, { mode: 0o644 });
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/**
 * A process recorded in `file` that still runs and whose command line matches `pattern` is a
 * leftover of a master that was killed: stop it (TERM, then KILL) so this start can own its ports
 * and data directory. A recycled pid running something else is left alone.
 */
export async function reapStale(
  file: string,
  pattern: RegExp,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<number | null> {
  const pid = readPid(file);
  if (pid === null || pid === process.pid) return null;
  const cmd = commandLine(pid);
  if (cmd === null || !isAlive(pid) || !pattern.test(cmd)) {
    removePid(file);
    return null;
  }
  process.kill(pid, options.signal ?? 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(20);
  }
  removePid(file);
  return pid;
}
