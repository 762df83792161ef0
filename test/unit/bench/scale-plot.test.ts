import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { plotInput, renderScalePlot } from '../../../bench/src/scale-plot.ts';

/** The SVG plot of bench/run --scale-test, drawn from a results JSON (docs/benchmarks.md#scale). */

const result = (rps: number, p99: number): { rps: number; latencyMs: { p99: number } } => ({ rps, latencyMs: { p99 } });

/** A results JSON shaped as bench/src/scale.ts writes it (fields the plot does not read left out). */
function results(): unknown {
  const set = (id: string, label: string, eventsPerUser: number, usersOnCore: number, k: number): unknown => ({
    id, label, eventsPerUser, usersOnCore, streamsPerUser: 70, users: ['u'], counts: {},
    scenarios: [
      { id: 'events.get-none-personal', result: result(1000 * k, 20 / k) },
      { id: 'events.create-personal', result: result(800 * k, 30 / k) },
      { id: 'streams.update', result: null, unavailable: 'not run' },
    ],
  });
  return { settings: {}, sets: [set('small', 'small <&> set', 7000, 2, 1), set('small-after', 'small, full core', 7000, 1003, 0.9), set('random', 'random users', 1000, 1003, 0.95), set('big', 'big user', 100_000, 1003, 0.5)] };
}

function parseSvg(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  if (error !== undefined) throw new Error(`not well-formed XML: ${error.textContent ?? ''}`);
  return doc;
}

describe('scale plot', () => {
  it('draws a well-formed SVG with one line per scenario and panel, every point inside the view box', () => {
    const svg = renderScalePlot(plotInput(results()), { title: 'scale <test>', baseline: 'small', after: 'small-after' });
    const doc = parseSvg(svg);
    const root = doc.documentElement;
    expect(root.tagName).toBe('svg');
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    const [, , w, h] = (root.getAttribute('viewBox') ?? '').split(' ').map(Number);
    const lines = [...doc.getElementsByTagName('polyline')];
    // 2 scenarios with results × 4 panels; the scenario without a result draws nothing.
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => l.textContent)).toEqual(expect.arrayContaining(['events.get-none-personal', 'events.create-personal']));
    for (const l of lines) {
      const pts = (l.getAttribute('points') ?? '').trim().split(' ').map((p) => p.split(',').map(Number));
      expect(pts.length).toBeGreaterThanOrEqual(2);
      for (const [x, y] of pts) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(w ?? 0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(h ?? 0);
      }
    }
    expect(root.textContent).toContain('scale <test>');
    expect(root.textContent).toContain('small <&> set');
  });

  it('plots throughput relative to the small data set: half the req/s is drawn lower than the same req/s', () => {
    const svg = renderScalePlot(plotInput(results()), { title: 't', baseline: 'small', after: 'small-after' });
    const circles = [...parseSvg(svg).getElementsByTagName('circle')].map((c) => c.textContent ?? '');
    // The big user at 50 % and the random users at 95 % of the small data set, on the first panel.
    expect(circles).toContain('events.get-none-personal: 50 at 100,000');
    expect(circles).toContain('events.get-none-personal: 95 at 1,000');
    expect(circles).toContain('events.get-none-personal: 2 at 100,000');
  });

  it.each([
    [null, 'no "sets" array'],
    [{ sets: [] }, 'no "sets" array'],
    [{ sets: [{ id: 'small' }] }, 'has no id or scenarios'],
    [{ sets: [{ id: 'small', scenarios: [], eventsPerUser: 'many', usersOnCore: 2 }] }, 'eventsPerUser is not a number'],
    [{ sets: [{ id: 'small', eventsPerUser: 1, usersOnCore: 2, scenarios: [{ id: 'x', result: { rps: 1, latencyMs: {} } }] }] }, 'x.p99 is not a number'],
  ])('refuses a results JSON it cannot plot: %j', (json, message) => {
    expect(() => plotInput(json)).toThrow(message);
  });

  it('refuses to plot without the baseline set', () => {
    expect(() => renderScalePlot(plotInput(results()), { title: 't', baseline: 'nope', after: 'small-after' })).toThrow('no "nope" set');
  });
});
