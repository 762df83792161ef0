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
 * for answers; at most `maxInFlight` unanswered so a stalled core does not grow the bench's memory.
 * The core answers 401 until the per-username and per-address limits lock, then 429.
 */
export function startLoginStorm(user: SeededUser, perSecond: number, maxInFlight = 2000): Background {
  const url = `${user.base}auth/login`;
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
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ username: user.username, password: `wrong-${sent}`, appId: 'bench-login-storm' }),
        signal: AbortSignal.timeout(30_000),
      })
        .then(async (res) => {
          await res.arrayBuffer();
          statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
        })
        .catch((err: unknown) => {
          const kind = err instanceof Error ? err.name : 'error';
          statuses[kind] = (statuses[kind] ?? 0) + 1;
        })
        .finally(() => inFlight--);
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
      return {
        what: `wrong-password auth.login for ${user.username}, ${perSecond}/s from the bench process`,
        sent,
        seconds: Math.round(seconds * 10) / 10,
        ratePerS: Math.round((sent / seconds) * 10) / 10,
        statuses,
        inFlight,
      };
    },
  };
}
