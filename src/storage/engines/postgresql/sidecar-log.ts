import type { LineClassifier, SidecarLevel } from '../../../sidecar/sidecar-log.js';

/**
 * Levels for the embedded PostgreSQL's output (issue #16): its connections and autovacuum ended by
 * a stop ("FATAL: terminating … due to administrator command") or refused while it starts or stops
 * are routine, not errors.
 */

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
