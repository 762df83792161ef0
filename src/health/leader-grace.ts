import type { DependencyHealth } from '../storage/interfaces/storage-engine.js';

/** What the local rqlited's /readyz said, and whether it answered at all. */
export interface PlatformReadiness extends DependencyHealth {
  answered: boolean;
}

/**
 * The `platformDb` readiness check with a grace for Raft elections (issue #13). While the local
 * rqlited answers but knows no leader (a voting clone or core was lost or is restarting, and the
 * others are electing a new leader), the check stays ok for `graceMs`, saying so in its detail: an
 * election lasts about 1–3 s, and a load balancer (`fall 2`, `inter 1s`) would otherwise take every
 * clone out for it, although they keep serving their users. Past the grace (no quorum) it fails.
 * A local rqlited that does not answer (down, hung) fails at once: that clone cannot reach the
 * platform DB at all.
 */
export function withLeaderGrace(check: () => Promise<PlatformReadiness>, graceMs: number, now: () => number = Date.now): () => Promise<DependencyHealth> {
  let leaderlessSince: number | null = null;
  return async () => {
    const r = await check();
    if (r.ok || !r.answered) {
      leaderlessSince = null;
      return { ok: r.ok, detail: r.detail };
    }
    leaderlessSince ??= now();
    const waited = now() - leaderlessSince;
    if (waited < graceMs) return { ok: true, detail: `no leader for ${waited} ms, within the ${graceMs} ms election grace (${r.detail})` };
    return { ok: false, detail: r.detail };
  };
}
