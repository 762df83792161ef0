import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigAnswer {
  status: string;
  flags: string[];
  /** RDATA of each ANSWER SECTION record, e.g. `127.0.0.2`. */
  answers: string[];
  /** Types of the ANSWER SECTION records, in order. */
  types: string[];
  authority: string[];
}

/**
 * Asks the DNS server at `server:port` with the real resolver tool `dig` (bind9-dnsutils; bin/test
 * installs it as root, and this throws when it is missing: DNS tests never pass without it).
 */
export async function dig(server: string, port: number, name: string, type = 'A', tcp = false): Promise<DigAnswer> {
  const args = [`@${server}`, '-p', String(port), '+norecurse', '+time=3', '+tries=2', ...(tcp ? ['+tcp'] : []), name, type];
  const { stdout } = await run('dig', args, { timeout: 15_000 });
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const section = (title: string): string[][] => {
    const start = stdout.indexOf(`;; ${title} SECTION:`);
    if (start < 0) return [];
    const lines = stdout.slice(start).split('\n').slice(1);
    const end = lines.findIndex((l) => l.trim() === '');
    return (end < 0 ? lines : lines.slice(0, end)).map((l) => l.trim().split(/\s+/));
  };
  const answer = section('ANSWER');
  return {
    status,
    flags,
    answers: answer.map((f) => f.slice(4).join(' ')),
    types: answer.map((f) => f[3] ?? ''),
    authority: section('AUTHORITY').map((f) => f[3] ?? ''),
  };
}
