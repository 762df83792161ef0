/**
 * Levels for the sidecars' output (issue #16, quieter logs). Each line is logged at the level its
 * program gives it, except normal events these programs report alarmingly: rqlited's election at
 * start ("[WARN] heartbeat timeout reached") and its listener closing at stop ("[ERROR] raft-net:
 * failed to accept connection"), PostgreSQL's connections and autovacuum ended by a stop
 * ("FATAL: terminating … due to administrator command") or refused while it starts or stops.
 */

export type SidecarLevel = 'debug' | 'info' | 'warn' | 'error';

/** Turns one output line into its level; stateful (continuation lines take their parent's level). */
export type LineClassifier = (line: string) => SidecarLevel;

const RQLITE_LINE = /^\[([\w-]+)\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:\[(ERROR|WARN|INFO|DEBUG|TRACE)\]\s+)?(.*)$/;
/** hashicorp/raft's own logger (hclog): `2026-12-01T21:43:33.470Z [ERROR] raft-net: …`. */
const HCLOG_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d) \[(ERROR|WARN|INFO|DEBUG|TRACE)\]\s+(.*)$/;
const GO_CRASH = /^(?:panic: |fatal error: |goroutine \d+ \[|SIGSEGV|runtime\/)/;

/** rqlited events that look like problems but are the normal course of a start or a stop. */
const RQLITE_ROUTINE: RegExp[] = [
  // A single node (or a restarted one) elects itself: raft's election starts with this warning.
  /heartbeat timeout reached, starting election/,
  /entering candidate state|election won|entering leader state|votes needed|vote granted/,
  // Stop: the Raft listener closes under the accept loop.
  /raft-net: failed to accept connection: error="?(?:network connection closed|use of closed network connection)/,
  /stepping down (?:as Leader|from leadership)/,
];

const HCLOG_LEVEL: Record<string, SidecarLevel> = { ERROR: 'error', WARN: 'warn', INFO: 'info', DEBUG: 'debug', TRACE: 'debug' };

export function rqlitedClassifier(): LineClassifier {
  let crashing = false;
  return (line) => {
    if (crashing || GO_CRASH.test(line)) {
      // A Go panic: its message and the whole stack trace that follows.
      crashing = true;
      return 'error';
    }
    const own = RQLITE_LINE.exec(line);
    const hc = own === null ? HCLOG_LINE.exec(line) : null;
    if (own === null && hc === null) return 'debug'; // the start banner, blank lines
    const declared = own?.[2] ?? hc?.[1];
    const text = own?.[3] ?? hc?.[2] ?? '';
    if (RQLITE_ROUTINE.some((r) => r.test(text))) return 'info';
    if (declared !== undefined) return HCLOG_LEVEL[declared] ?? 'info';
    // rqlited's own lines carry no level; its fatal errors (log.Fatalf) say what failed.
    return /\b(?:failed|fatal|error|panic)\b/i.test(text) && !/\bstopped: http: Server closed\b/.test(text) ? 'warn' : 'info';
  };
}

/** `2026-12-01 21:44:28.978 UTC [16454] FATAL:  message` (log_line_prefix '%m [%p] ', the default). */
const PG_LINE = /^\d{4}-\d\d-\d\d [\d:.]+ [\w+-]+ \[\d+\] ([A-Z]+\d?):\s+(.*)$/;
const PG_CONTINUATION = new Set(['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'QUERY', 'LOCATION']);

/** PostgreSQL events that it reports as FATAL or ERROR but that are normal. */
const PG_ROUTINE: RegExp[] = [
  // Fast shutdown (our stop): every connection and autovacuum worker is ended this way.
  /^terminating (?:connection|autovacuum process|background worker .*) due to administrator command/,
  // Connection attempts while it starts or stops (the master polls until it accepts).
  /^the database system is (?:starting up|shutting down|not yet accepting connections|in recovery mode)/,
  // A unique violation is an API answer (item-already-exists), mapped by the storage engine.
  /^duplicate key value violates unique constraint/,
];

function pgLevel(severity: string, text: string): SidecarLevel {
  if (severity.startsWith('DEBUG')) return 'debug';
  if (severity === 'WARNING') return 'warn';
  if (severity === 'ERROR' || severity === 'FATAL' || severity === 'PANIC') {
    return severity !== 'PANIC' && PG_ROUTINE.some((r) => r.test(text)) ? 'info' : 'error';
  }
  return 'info'; // LOG, INFO, NOTICE
}

export function postgresClassifier(): LineClassifier {
  let last: SidecarLevel = 'info';
  return (line) => {
    const m = PG_LINE.exec(line);
    if (m === null) {
      // A statement's further lines, or output before logging is set up ("postgres: could not …").
      if (/^postgres: |\b(?:FATAL|PANIC)\b/.test(line)) last = 'error';
      return last;
    }
    const [, severity = 'LOG', text = ''] = m;
    if (PG_CONTINUATION.has(severity)) return last;
    last = pgLevel(severity, text);
    return last;
  };
}

/** SQL literals after PASSWORD (provisioning's `ALTER ROLE … PASSWORD '…'` echoed in a STATEMENT line). */
export function redactSidecarLine(line: string): string {
  return line.replace(/(PASSWORD\s+)'(?:[^']|'')*'/gi, "$1'[redacted]'");
}
