import { describe, expect, it } from 'vitest';
import { postgresClassifier, redactSidecarLine, rqlitedClassifier, type LineClassifier } from '../../../src/master/sidecar-log.js';

/**
 * Sidecar output at its proper level (issue #16): real lines of rqlited 8.43.4 and PostgreSQL 18
 * (the embedded one), captured from a start, some traffic and a stop.
 */
function levels(make: () => LineClassifier, lines: [string, string][]): [string, string][] {
  const classify = make();
  return lines.map(([line]) => [classify(line), line]);
}

describe('rqlited output', () => {
  const sample: [string, string][] = [
    ['            _ _ _', 'debug'],
    [' | \'__/ _  | | | __/ _ \\   The lightweight, distributed', 'debug'],
    ['[rqlited] 2026/12/01 21:43:27 rqlited starting, version v8.43.4, SQLite 3.50.4, commit unknown, branch unknown, compiler (toolchain) gc, compiler (command) unknown', 'info'],
    ['[mux] 2026/12/01 21:43:27 mux serving on 127.0.0.1:45902, advertising 127.0.0.1:45902', 'info'],
    ['[rqlited] 2026/12/01 21:43:27 no preexisting node state detected in /tmp/rq-sample/data, node may be bootstrapping', 'info'],
    ['[http] 2026/12/01 21:43:27 execute queue processing started with capacity 1024, batch size 128, timeout 50ms', 'info'],
    ['[store] 2026/12/01 21:43:27 raft log is 0 bytes at open, indexes are: first 0, last 0', 'info'],
    ['[raft] 2026/12/01 21:43:28 [WARN]  heartbeat timeout reached, starting election: last-leader-addr= last-leader-id=', 'info'],
    ['[store] 2026/12/01 21:43:28 this node (ID=s1, addr=127.0.0.1:45902) is now Leader', 'info'],
    ['[rqlited] 2026/12/01 21:43:33 received signal "terminated"', 'info'],
    ['[http] 2026/12/01 21:43:33 HTTP service on 127.0.0.1:45901 stopped: http: Server closed', 'info'],
    ['[rqlited] 2026/12/01 21:43:33 stepping down as Leader before shutdown', 'info'],
    ['[store] 2026/12/01 21:43:33 stepping down from leadership, transferring to any available node', 'info'],
    ['2026-12-01T21:43:33.470Z [ERROR] raft-net: failed to accept connection: error="network connection closed"', 'info'],
    ['[rqlited] 2026/12/01 21:43:33 rqlite server stopped', 'info'],
    // Real problems keep their level.
    ['[raft] 2026/12/01 21:50:02 [WARN]  failed to contact: server-id=core-b time=2.5s', 'warn'],
    ['2026-12-01T21:50:03.001Z [ERROR] raft: failed to appendEntries to: peer="{Voter core-b 10.0.0.12:4002}" error="dial tcp 10.0.0.12:4002: connect: connection refused"', 'error'],
    ['[rqlited] 2026/12/01 21:50:04 failed to create store: open /var/lib/homecore/rqlite/db.sqlite: permission denied', 'warn'],
  ];

  it('levels each line as rqlited means it; election at start and listener close at stop at info', () => {
    expect(levels(rqlitedClassifier, sample)).toEqual(sample.map(([l, lv]) => [lv, l]));
  });

  it('a Go panic and its stack trace are errors', () => {
    const classify = rqlitedClassifier();
    expect(classify('panic: runtime error: invalid memory address or nil pointer dereference')).toBe('error');
    expect(classify('goroutine 1 [running]:')).toBe('error');
    expect(classify('\t/go/pkg/mod/github.com/rqlite/rqlite/v8@v8.43.4/store/store.go:512 +0x1a4')).toBe('error');
  });
});

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

  it('never logs a password echoed in a statement', () => {
    const line = `2026-12-01 21:44:26.100 UTC [16454] STATEMENT:  ALTER ROLE "homecore" PASSWORD 'it''s-secret'`;
    expect(redactSidecarLine(line)).toBe(`2026-12-01 21:44:26.100 UTC [16454] STATEMENT:  ALTER ROLE "homecore" PASSWORD '[redacted]'`);
  });
});
