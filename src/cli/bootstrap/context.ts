import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger, type Logger } from '../../logging/logger.js';
import { caFiles } from '../../cluster/files.js';
import type { Pem } from '../../cluster/pki.js';
import { createPlatformClient } from '../../platform/platform-client.js';
import type { RqliteClient } from '../../platform/rqlite-client.js';

/** A refused command: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface Io {
  /** Results for the operator (stdout). Secrets printed here are printed once and never logged. */
  out: (line: string) => void;
  /** Warnings and progress (stderr). */
  err: (line: string) => void;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export const CONFIG_OPTION: Options = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } };

export function parse(argv: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...CONFIG_OPTION, ...options }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new CliError(`--${name} is required (see --help)`);
  return v;
}

export function int(values: Values, name: string, fallback: number): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be a positive integer`);
  return n;
}

export function checkIdentity(id: string, url: string, ip: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new CliError(`--id "${id}": lowercase letters, digits and dashes, at most 63`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--url "${url}" is not a URL`);
  }
  if (!/^https?:$/.test(parsed.protocol) || !url.endsWith('/')) throw new CliError(`--url "${url}": an http(s) URL ending with "/"`);
  if (isIP(ip) === 0) throw new CliError(`--ip "${ip}" is not an IP address`);
}

export function raftAddressFor(values: Values, ip: string, defaultPort: string): string {
  const addr = str(values, 'raft-address') ?? `${isIP(ip) === 6 ? `[${ip}]` : ip}:${defaultPort}`;
  if (!/^[^:]+:[0-9]{1,5}$/.test(addr) && !/^\[[0-9a-f:]+\]:[0-9]{1,5}$/i.test(addr)) throw new CliError(`--raft-address "${addr}": host:port expected`);
  return addr;
}

export function config(values: Values): Readonly<Config> {
  return loadConfig({ configFile: str(values, 'config') });
}

export function quietLogger(): Logger {
  return createLogger({ level: 'warn', role: 'bootstrap' });
}

/** The running core's platform DB, as its own processes reach it (certificate + credential). */
export function platformClient(cfg: Readonly<Config>): RqliteClient {
  return createPlatformClient(cfg, quietLogger(), { requestTimeoutMs: 10_000, retryBudgetMs: 5000 });
}

export function requireMulti(cfg: Readonly<Config>): void {
  if (cfg.platform.mode !== 'multi') throw new CliError('this core is not in multi mode: run bin/bootstrap.js init first (docs/operations.md)');
}

export function loadCa(cfg: Readonly<Config>): Pem {
  const f = caFiles(cfg.paths.varDir);
  if (!existsSync(f.key)) throw new CliError(`no cluster CA on this core (${f.key}): run this on the core that holds it`);
  return { cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
}
