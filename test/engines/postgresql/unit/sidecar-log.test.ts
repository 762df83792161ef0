import { describe, expect, it } from 'vitest';
import type { LineClassifier } from '../../../../src/sidecar/sidecar-log.js';
import { postgresClassifier } from '../../../../src/storage/engines/postgresql/sidecar-log.js';

/** The embedded PostgreSQL's output at its proper level (issue #16): real lines of PostgreSQL 18, from a start, some traffic and a stop. */
function levels(make: () => LineClassifier, lines: [string, string][]): [string, string][] {
  const classify = make();
  return lines.map(([line]) => [classify(line), line]);
}

describe('PostgreSQL output', () => {
  const sample: [string, string][] = [
    ['2026-12-01 21:44:18.910 UTC [16310] LOG:  starting PostgreSQL 18.4 on x86_64-pc-linux-gnu, compiled by gcc (Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0, 64-bit', 'info'],
    ['2026-12-01 21:44:18.910 UTC [16310] LOG:  listening on IPv4 address "127.0.0.1", port 45911', 'info'],
    ['2026-12-01 21:44:18.956 UTC [16316] LOG:  database system was shut down at 2026-12-01 21:44:16 UTC', 'info'],
    ['2026-12-01 21:44:18.970 UTC [16330] FATAL:  the database system is starting up', 'info'],
    ['2026-12-01 21:44:18.981 UTC [16310] LOG:  database system is ready to accept connections', 'info'],
    ['2026-12-01 21:44:25.677 UTC [16454] ERROR:  duplicate key value violates unique constraint "t_pkey"', 'info'],
    ['2026-12-01 21:44:25.677 UTC [16454] DETAIL:  Key (id)=(1) already exists.', 'info'],
    ['2026-12-01 21:44:25.677 UTC [16454] STATEMENT:  INSERT INTO t VALUES (1)', 'info'],
    ['2026-12-01 21:44:26.100 UTC [16454] ERROR:  division by zero', 'error'],
    ['2026-12-01 21:44:26.100 UTC [16454] STATEMENT:  SELECT 1/0', 'error'],
    ['2026-12-01 21:44:26.300 UTC [16460] FATAL:  role "nobody" does not exist', 'error'],
    ['2026-12-01 21:44:26.500 UTC [16454] WARNING:  there is no transaction in progress', 'warn'],
    ['2026-12-01 21:44:28.957 UTC [16310] LOG:  received fast shutdown request', 'info'],
    ['2026-12-01 21:44:28.964 UTC [16310] LOG:  aborting any active transactions', 'info'],
    ['2026-12-01 21:44:28.978 UTC [16454] FATAL:  terminating connection due to administrator command', 'info'],
    ['2026-12-01 21:44:28.978 UTC [16454] STATEMENT:  INSERT INTO t SELECT generate_series(2, 200000)', 'info'],
    ['2026-12-01 21:44:28.979 UTC [16470] FATAL:  terminating autovacuum process due to administrator command', 'info'],
    ['2026-12-01 21:44:28.981 UTC [16310] LOG:  background worker "logical replication launcher" (PID 16320) exited with exit code 1', 'info'],
    ['2026-12-01 21:44:29.024 UTC [16314] LOG:  checkpoint starting: shutdown immediate', 'info'],
    ['2026-12-01 21:44:29.473 UTC [16310] LOG:  database system is shut down', 'info'],
    ['2026-12-01 21:44:30.000 UTC [16310] PANIC:  could not write to file "pg_wal/xlogtemp.16310": No space left on device', 'error'],
  ];

  it('LOG at info, WARNING at warn, ERROR and FATAL at error, stop and start noise at info; continuations follow their line', () => {
    expect(levels(postgresClassifier, sample)).toEqual(sample.map(([l, lv]) => [lv, l]));
  });

  it('output before logging starts: errors stay errors', () => {
    const classify = postgresClassifier();
    expect(classify('postgres: could not access the server configuration file "/x/postgresql.conf": No such file or directory')).toBe('error');
  });
});
