import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What /proc says about one process: enough for trees and CPU accounting. */
interface Stat { pid: number; ppid: number; state: string; cpuTicks: number }

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function stat(pid: number): Stat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime), counted from 1 with pid and comm removed: indexes 11 and 12.
    return { pid, ppid: Number(f[1]), state: f[0] ?? '?', cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function allStats(): Stat[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => stat(Number(d)))
    .filter((p): p is Stat => p !== null);
}

export function isRunning(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Every live descendant of `root`. */
export function descendants(root: number): number[] {
  const procs = allStats().filter((p) => p.state !== 'Z');
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  tree.delete(root);
  return [...tree];
}

/** Which part of the core a process is, from its command line. */
export function roleOf(pid: number): string {
  const c = cmdline(pid);
  if (/workers\/api\.js/.test(c)) return 'api workers';
  if (/workers\/hfs\.js/.test(c)) return 'hfs workers';
  if (/workers\/previews\.js/.test(c)) return 'previews worker';
  if (/rqlited/.test(c)) return 'rqlited';
  if (/postgres/.test(c)) return 'postgresql';
  if (/bin\/master\.js/.test(c)) return 'master';
  return 'other';
}

/**
 * perGroup: % of one core per group; machine: busy % of all cores; outside: % of one core used by
 * processes in no group; steal: % of all cores the hypervisor gave to other guests.
 */
export interface CpuUse { perGroup: Record<string, number>; machine: number; outside: number; steal: number }

/** CPU seconds used so far, per labelled group of processes (a process counts once, in its first group). */
export type CpuGroups = Record<string, number[]>;

export interface CpuSnapshot { at: number; perPid: Map<number, number>; machineBusy: number; machineTotal: number; machineSteal: number }

function machineTicks(): { busy: number; total: number; steal: number } {
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const steal = v[7] ?? 0;
  return { busy: total - idle - steal, total, steal };
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  const perPid = new Map<number, number>();
  for (const pid of pids) {
    const s = stat(pid);
    if (s !== null) perPid.set(pid, s.cpuTicks);
  }
  const m = machineTicks();
  return { at: performance.now(), perPid, machineBusy: m.busy, machineTotal: m.total, machineSteal: m.steal };
}

/**
 * % of one core used by each group between two snapshots (100 = one core busy the whole time), and
 * the machine's busy % over all cores. A pid missing from `before` (started meanwhile) counts from 0.
 */
export function cpuUsage(before: CpuSnapshot, after: CpuSnapshot, groups: CpuGroups): CpuUse {
  const seconds = (after.at - before.at) / 1000;
  const perGroup: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    let ticks = 0;
    for (const pid of pids) ticks += (after.perPid.get(pid) ?? before.perPid.get(pid) ?? 0) - (before.perPid.get(pid) ?? 0);
    perGroup[name] = Math.round((ticks / CLK_TCK / seconds) * 1000) / 10;
  }
  const dt = after.machineTotal - before.machineTotal;
  const share = (a: number, b: number): number => (dt > 0 ? Math.round(((a - b) / dt) * 1000) / 10 : 0);
  const machine = share(after.machineBusy, before.machineBusy);
  const steal = share(after.machineSteal, before.machineSteal);
  // What the rest of the machine used meanwhile (other users' work, the kernel's softirqs), in % of one core.
  const ours = Object.values(perGroup).reduce((a, b) => a + b, 0);
  const outside = Math.max(0, Math.round(machine * availableParallelism() - ours));
  return { perGroup, machine, outside, steal };
}

/** Resident memory of a process in MB (VmRSS), null when gone or unreadable. */
export function rssMb(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return null;
  }
}

/** The largest resident memory (MB) of one process of each group: the per-worker and master limits. */
export function maxRssByGroup(groups: CpuGroups): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    const sizes = pids.map(rssMb).filter((v): v is number => v !== null);
    if (sizes.length > 0) out[name] = Math.max(...sizes);
  }
  return out;
}
