import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';

export interface AuditCostOptions {
  duration: number;
  warmup: number;
  rounds: number;
  connections: number;
  apiWorkers: number | null;
  only: RegExp | null;
  readyTimeoutMs: number;
  /** Also write bench/results/<out>.md (command, load, raw rounds, table); null = stdout only. */
  out: string | null;
  /** audit.durability of the core with the trail on; null = the config default. */
  durability: 'fsync' | 'write' | 'buffer' | null;
}

const FLAGS = '--duration s, --warmup s, --rounds n, --connections n, --api-workers n, --only re, --start-timeout s, --out name, --durability fsync|write|buffer';

function count(v: string | undefined, name: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (min >= 1 && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${min >= 1 ? `a whole number ≥ ${min}` : 'a number ≥ 0'}, got "${v}"`);
  }
  return n;
}

/** `bench/run --audit-cost …`: every flag checked, a bad one is a UsageError (one line, no stack). */
export function parseAuditCostOptions(argv: string[]): AuditCostOptions {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv.filter((a) => a !== '--audit-cost'),
      options: {
        duration: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' }, 'api-workers': { type: 'string' },
        warmup: { type: 'string' }, only: { type: 'string' }, 'start-timeout': { type: 'string' }, out: { type: 'string' },
        durability: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError(`--audit-cost: ${(err as Error).message.split('\n')[0] ?? 'bad arguments'} (it takes ${FLAGS})`);
  }
  let only: RegExp | null = null;
  if (values['only'] !== undefined) {
    try {
      only = new RegExp(values['only']);
    } catch (err) {
      throw new UsageError(`--only: ${(err as Error).message}`);
    }
  }
  const out = values['out'] ?? null;
  const durability = values['durability'] ?? null;
  if (durability !== null && durability !== 'fsync' && durability !== 'write' && durability !== 'buffer') {
    throw new UsageError(`--durability: fsync, write or buffer, got "${durability}"`);
  }
  if (out !== null && !/^[\w.-]+$/.test(out)) throw new UsageError(`--out: a file name without directory (letters, digits, . _ -), got "${out}"`);
  return {
    duration: count(values['duration'], 'duration', 10, 1),
    warmup: count(values['warmup'], 'warmup', 2, 0),
    rounds: count(values['rounds'], 'rounds', 2, 1),
    connections: count(values['connections'], 'connections', 10, 1),
    apiWorkers: values['api-workers'] === undefined ? null : count(values['api-workers'], 'api-workers', 2, 1),
    only,
    readyTimeoutMs: count(values['start-timeout'], 'start-timeout', 600, 1) * 1000,
    out,
    durability,
  };
}
