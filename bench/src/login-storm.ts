import { Agent, request } from 'node:http';
import type { SeededUser } from './seed.ts';

/** What a background load did while the measured wrk run went on. */
export interface BackgroundStats {
  what: string;
  sent: number;
  seconds: number;
  ratePerS: number;
  statuses: Record<string, number>;
  /** Still unanswered when stopped. */
  inFlight: number;
}

export interface Background {
  stop(): Promise<BackgroundStats>;
}

/**
 * Wrong-password logins at `perSecond` (issue #16): POST /{u}/auth/login with a fresh wrong password
 * each time, from this process (one client address, as an attacker without a botnet), never waiting
 * for answers (64 keep-alive connections); at most `maxInFlight` unanswered so a stalled core does
 * not grow the bench's memory. The core answers 401 until the per-username and per-address limits lock, then 429.
 */
export function startLoginStorm(user: SeededUser, perSecond: number, maxInFlight = 2000): Background {
  const url = `${user.base}auth/login`;
  // Keep-alive connections like a real client (and like wrk); more requests than sockets queue here.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const origin = new URL(user.base).origin;
  const statuses: Record<string, number> = {};
  let sent = 0;
  let inFlight = 0;
  const started = Date.now();
  const tickMs = 50;
  const fire = (): void => {
    const due = Math.floor(((Date.now() - started) / 1000) * perSecond) - sent;
    for (let i = 0; i < due && inFlight < maxInFlight; i++) {
      sent++;
      inFlight++;
      const count = (k: string): void => {
        statuses[k] = (statuses[k] ?? 0) + 1;
      };
      const req = request(url, { method: 'POST', agent, timeout: 30_000, headers: { 'content-type': 'application/json', origin } }, (res) => {
        res.resume();
        res.on('end', () => {
          count(String(res.statusCode));
          inFlight--;
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        count(err.code ?? err.message);
        inFlight--;
      });
      req.end(JSON.stringify({ username: user.username, password: `wrong-${sent}`, appId: 'bench-login-storm' }));
    }
  };
  const timer = setInterval(fire, tickMs);
  return {
    async stop() {
      clearInterval(timer);
      const seconds = (Date.now() - started) / 1000;
      // Give late answers a moment to be counted.
      const until = Date.now() + 2000;
      while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const answered = { ...statuses };
      const unanswered = inFlight;
      agent.destroy();
      return {
        what: `wrong-password auth.login for ${user.username}, ${perSecond}/s from the bench process`,
        sent,
        seconds: Math.round(seconds * 10) / 10,
        ratePerS: Math.round((sent / seconds) * 10) / 10,
        statuses: answered,
        inFlight: unanswered,
      };
    },
  };
}
