import { readdirSync, readFileSync } from 'node:fs';

/**
 * Cleaning up after a core (test/helpers/core-process.ts): what runs in /proc, and a last-resort
 * SIGKILL of every tree still running when the test process exits without its afterEach.
 */
export interface ProcInfo { pid: number; ppid: number; pgrp: number; state: string; startTime: string }

/** Cores whose process tree may still run. */
export const live = new Set<{ killSync(): void }>();
process.once('exit', () => {
  for (const core of live) core.killSync();
});

export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0] ?? '?', ppid: Number(f[1]), pgrp: Number(f[2]), startTime: f[19] ?? '' };
  } catch {
    return null;
  }
}

/** Running (a zombie already exited: it only waits for its parent to reap it). */
export function isRunning(pid: number): boolean {
  const p = procInfo(pid);
  return p !== null && p.state !== 'Z' && p.state !== 'X';
}

export function allProcs(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter((p): p is ProcInfo => p !== null);
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

