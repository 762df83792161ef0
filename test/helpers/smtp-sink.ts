import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  /** SMTP envelope. */
  from: string;
  to: string[];
  /** The user the client authenticated as (null: none). */
  authUser: string | null;
  parsed: ParsedMail;
  raw: string;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** The next `n` messages are refused with a temporary error (451) after DATA. */
  failNext(n: number): void;
  /** Messages refused so far. */
  refused: number;
  /** Resolves once `count` mails were received (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps what it receives. Plain
 * connection (no STARTTLS offered), AUTH required with `user` / `password`.
 */
export async function startSmtpSink(credentials: { user: string; password: string }): Promise<SmtpSink> {
  let failing = 0;
  const sink = {
    port: 0,
    mails: [] as ReceivedMail[],
    refused: 0,
    failNext(n: number) {
      failing = n;
    },
    async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedMail[]> {
      const until = Date.now() + timeoutMs;
      while (sink.mails.length < count) {
        if (Date.now() > until) throw new Error(`SMTP sink: ${sink.mails.length} mails received, ${count} expected`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return sink.mails;
    },
    close: async () => undefined,
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          sink.refused++;
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
            const authUser = typeof session.user === 'string' ? session.user : null;
            sink.mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), authUser, parsed, raw });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  sink.port = (server.server.address() as AddressInfo).port;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
