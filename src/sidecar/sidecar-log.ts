/**
 * Levels for the sidecars' output (issue #16, quieter logs). Each line is logged at the level its
 * program gives it, except normal events these programs report alarmingly: rqlited's election at
 * start ("[WARN] heartbeat timeout reached") and its listener closing at stop ("[ERROR] raft-net:
 * failed to accept connection"). A storage engine's embedded server brings its own classifier
 * (src/storage/engines/<name>/).
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

/** SQL literals after PASSWORD (provisioning's `ALTER ROLE … PASSWORD '…'` echoed in a STATEMENT line). */
export function redactSidecarLine(line: string): string {
  return line.replace(/(PASSWORD\s+)'(?:[^']|'')*'/gi, "$1'[redacted]'");
}
