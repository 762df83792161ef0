import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log object. Tokens and passwords are secrets
 * (DEVELOPERS.md, security by default): they never reach a log line.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  'auth',
  'adminAccessKey',
  '*.password',
  '*.token',
  '*.auth',
  '*.newPassword',
  '*.oldPassword',
  '*.adminAccessKey',
  '*.resetToken',
  // mfa.*: the MFA step token and recovery codes.
  'mfaToken',
  '*.mfaToken',
  '*.recoveryCode',
  '*.recoveryCodes',
  // One more level: bodies logged inside an object (e.g. `{ body: { user: { password } } }`).
  '*.*.password',
  '*.*.token',
  '*.*.newPassword',
  '*.*.oldPassword',
  'req.query.auth',
];

export interface LoggerSettings {
  level: string;
  /** Name of the process role: master, api, hfs, previews, cli. */
  role: string;
  destination?: DestinationStream;
  /**
   * Write each line to stdout at once (writeSync) instead of through pino's default asynchronous
   * stream. That stream's flush at process.exit writes its buffer ahead of a write still in flight,
   * so the last lines before an exit could come out of order or be lost. The master logs little
   * and exits on purpose, so it writes synchronously; workers, which log every request, do not.
   */
  sync?: boolean;
}

/** One root logger per process; modules take `logger.child({ component })`. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { role: settings.role, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Request URLs may carry ?auth=<token>; the serializer strips query values of sensitive keys.
    serializers: {
      req: (req: { method?: string; url?: string; id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url ?? ''),
      }),
    },
  };
  const destination = settings.destination ?? (settings.sync === true ? pino.destination({ dest: 1, sync: true }) : undefined);
  return destination === undefined ? pino(options) : pino(options, destination);
}

const SECRET_QUERY_KEYS = /([?&](?:auth|readToken|token|password|resetToken)=)[^&#]*/gi;

/** Access-request keys in paths (`/reg/access/<key>`) let anyone poll for the granted token. */
const SECRET_PATH_SEGMENTS = /(\/(?:reg\/)?access\/)[^/?#]+/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY_KEYS, '$1[redacted]').replace(SECRET_PATH_SEGMENTS, '$1[redacted]');
}
