import { describe, expect, it } from 'vitest';
import { redactSidecarLine, rqlitedClassifier, type LineClassifier } from '../../../src/sidecar/sidecar-log.js';

/**
 * Sidecar output at its proper level (issue #16): real lines of rqlited 8.43.4, captured from a
 * start, some traffic and a stop (the embedded PostgreSQL's: test/engines/postgresql/unit/).
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

describe('sidecar lines', () => {
  it('never logs a password echoed in a statement', () => {
    const line = `2026-12-01 21:44:26.100 UTC [16454] STATEMENT:  ALTER ROLE "homecore" PASSWORD 'it''s-secret'`;
    expect(redactSidecarLine(line)).toBe(`2026-12-01 21:44:26.100 UTC [16454] STATEMENT:  ALTER ROLE "homecore" PASSWORD '[redacted]'`);
  });
});
