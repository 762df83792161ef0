import { describe, expect, it } from 'vitest';
import { withLeaderGrace, type PlatformReadiness } from '../../../src/health/leader-grace.js';

/** The platformDb readiness check's election grace (issue #13), on a fake clock. */
function setup(graceMs: number): { set: (r: PlatformReadiness) => void; advance: (ms: number) => void; check: () => Promise<{ ok: boolean; detail: string }> } {
  let clock = 1_000;
  let answer: PlatformReadiness = { ok: true, detail: 'ready', answered: true };
  const check = withLeaderGrace(async () => answer, graceMs, () => clock);
  return { set: (r) => (answer = r), advance: (ms) => (clock += ms), check };
}
const noLeader: PlatformReadiness = { ok: false, detail: '[+]node ok [+]leader does not exist', answered: true };
const down: PlatformReadiness = { ok: false, detail: 'connect ECONNREFUSED', answered: false };

describe('withLeaderGrace', () => {
  it('stays ok while an answering rqlited knows no leader, up to the grace; then fails until a leader is back', async () => {
    const g = setup(5000);
    g.set(noLeader);
    expect(await g.check()).toEqual({ ok: true, detail: 'no leader for 0 ms, within the 5000 ms election grace ([+]node ok [+]leader does not exist)' });
    g.advance(4999);
    expect((await g.check()).ok).toBe(true);
    g.advance(1);
    expect(await g.check()).toEqual({ ok: false, detail: '[+]node ok [+]leader does not exist' });
    g.set({ ok: true, detail: 'ready', answered: true });
    expect(await g.check()).toEqual({ ok: true, detail: 'ready' });
    // A new election starts a new grace.
    g.set(noLeader);
    g.advance(60_000);
    expect((await g.check()).ok).toBe(true);
  });

  it('fails at once when the local rqlited does not answer, and that restarts the grace', async () => {
    const g = setup(5000);
    g.set(down);
    expect(await g.check()).toEqual({ ok: false, detail: 'connect ECONNREFUSED' });
    g.set(noLeader);
    g.advance(10_000);
    expect((await g.check()).ok).toBe(true);
  });

  it('with a grace of 0, a leaderless answer fails at once', async () => {
    const g = setup(0);
    g.set(noLeader);
    expect((await g.check()).ok).toBe(false);
  });
});
