/**
 * The scale bench's plot (docs/benchmarks.md#scale), plain SVG text written from a results JSON:
 * throughput and p99 of each scenario relative to the small data set, against events per user
 * (every set on the full core) and against users per core (the small users before and after the
 * scale seed). No plotting service, no dependency.
 */

export interface PlotSet {
  id: string;
  label: string;
  eventsPerUser: number;
  usersOnCore: number;
  scenarios: { id: string; rps: number; p99Ms: number }[];
}

/** What the plot needs from a results JSON; anything else in it is ignored. */
export function plotInput(json: unknown): PlotSet[] {
  const sets = (json as { sets?: unknown } | null)?.sets;
  if (!Array.isArray(sets) || sets.length === 0) throw new Error('results JSON: no "sets" array');
  return sets.map((raw: unknown, i): PlotSet => {
    const s = raw as Record<string, unknown>;
    const num = (v: unknown, what: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`results JSON: sets[${i}].${what} is not a number`);
      return v;
    };
    if (typeof s['id'] !== 'string' || !Array.isArray(s['scenarios'])) throw new Error(`results JSON: sets[${i}] has no id or scenarios`);
    const scenarios = (s['scenarios'] as unknown[]).flatMap((o) => {
      const x = o as { id?: unknown; result?: { rps?: unknown; latencyMs?: { p99?: unknown } } | null };
      if (typeof x.id !== 'string' || x.result === null || x.result === undefined) return [];
      return [{ id: x.id, rps: num(x.result.rps, `${x.id}.rps`), p99Ms: num(x.result.latencyMs?.p99, `${x.id}.p99`) }];
    });
    return { id: s['id'], label: typeof s['label'] === 'string' ? s['label'] : s['id'], eventsPerUser: num(s['eventsPerUser'], 'eventsPerUser'), usersOnCore: num(s['usersOnCore'], 'usersOnCore'), scenarios };
  });
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export const escapeXml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

interface Line { name: string; color: string; points: [number, number][] }
interface Panel { title: string; xLabel: string; yLabel: string; lines: Line[]; goal: number; goalLabel: string; x: number; y: number; w: number; h: number }

/** Log-10 axis ticks (1, 10, 100…) covering [lo, hi]. */
function decades(lo: number, hi: number): number[] {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function panel(p: Panel): string {
  const xs = p.lines.flatMap((l) => l.points.map(([x]) => x)).filter((x) => x > 0);
  const ys = p.lines.flatMap((l) => l.points.map(([, y]) => y));
  const ticksX = decades(xs.length > 0 ? Math.min(...xs) : 1, xs.length > 0 ? Math.max(...xs, 10) : 10);
  const x0 = Math.log10(ticksX[0] ?? 1);
  const x1 = Math.max(Math.log10(ticksX[ticksX.length - 1] ?? 10), x0 + 1);
  const yMax = Math.max(...ys, p.goal) * 1.1;
  const yStep = yMax > 400 ? 100 : yMax > 150 ? 50 : yMax > 8 ? 20 : yMax > 4 ? 1 : 0.5;
  const px = (x: number): number => p.x + ((Math.log10(Math.max(x, 1e-9)) - x0) / (x1 - x0)) * p.w;
  const py = (y: number): number => p.y + p.h - (y / yMax) * p.h;
  const out = [`<g class="panel"><text x="${r1(p.x + p.w / 2)}" y="${r1(p.y - 10)}" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`];
  out.push(`<rect x="${r1(p.x)}" y="${r1(p.y)}" width="${r1(p.w)}" height="${r1(p.h)}" fill="none" stroke="#999"/>`);
  for (let y = 0; y <= yMax; y += yStep) {
    out.push(`<line x1="${r1(p.x)}" y1="${r1(py(y))}" x2="${r1(p.x + p.w)}" y2="${r1(py(y))}" stroke="#eee"/><text x="${r1(p.x - 6)}" y="${r1(py(y) + 4)}" text-anchor="end">${r1(y)}</text>`);
  }
  for (const t of ticksX) {
    out.push(`<line x1="${r1(px(t))}" y1="${r1(p.y)}" x2="${r1(px(t))}" y2="${r1(p.y + p.h)}" stroke="#eee"/><text x="${r1(px(t))}" y="${r1(p.y + p.h + 16)}" text-anchor="middle">${t.toLocaleString('en')}</text>`);
  }
  out.push(`<line x1="${r1(p.x)}" y1="${r1(py(p.goal))}" x2="${r1(p.x + p.w)}" y2="${r1(py(p.goal))}" stroke="#333" stroke-dasharray="6 4"/><text x="${r1(p.x + p.w - 4)}" y="${r1(py(p.goal) - 4)}" text-anchor="end" fill="#333">${escapeXml(p.goalLabel)}</text>`);
  for (const l of p.lines) {
    const pts = [...l.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="2" points="${pts.map(([x, y]) => `${r1(px(x))},${r1(py(y))}`).join(' ')}"><title>${escapeXml(l.name)}</title></polyline>`);
    for (const [x, y] of pts) out.push(`<circle cx="${r1(px(x))}" cy="${r1(py(y))}" r="3" fill="${l.color}"><title>${escapeXml(`${l.name}: ${r1(y)} at ${x.toLocaleString('en')}`)}</title></circle>`);
  }
  out.push(`<text x="${r1(p.x + p.w / 2)}" y="${r1(p.y + p.h + 34)}" text-anchor="middle">${escapeXml(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${r1(p.x - 44)},${r1(p.y + p.h / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(p.yLabel)}</text></g>`);
  return out.join('\n');
}

/**
 * Four panels: throughput in % of the small data set and p99 as a multiple of it (rows), against
 * events per user (the sets measured on the full core) and users per core (the small users before
 * and after the scale seed; columns). `baseline` is the small data set's id, `after` the small
 * users measured again on the full core.
 */
export function renderScalePlot(sets: PlotSet[], opts: { title: string; baseline: string; after: string }): string {
  const base = sets.find((s) => s.id === opts.baseline);
  if (base === undefined) throw new Error(`no "${opts.baseline}" set to compare with`);
  const after = sets.find((s) => s.id === opts.after);
  const full = sets.filter((s) => s.id !== opts.baseline);
  const ids = base.scenarios.map((s) => s.id);
  const lines = (from: PlotSet[], x: (s: PlotSet) => number, metric: 'rps' | 'p99'): Line[] => ids.map((id, i) => {
    const b = base.scenarios.find((s) => s.id === id);
    const points: [number, number][] = [];
    for (const set of from) {
      const o = set.scenarios.find((s) => s.id === id);
      if (b === undefined || o === undefined || b.rps <= 0 || b.p99Ms <= 0) continue;
      points.push([x(set), metric === 'rps' ? (o.rps / b.rps) * 100 : o.p99Ms / b.p99Ms]);
    }
    return { name: id, color: COLORS[i % COLORS.length] ?? '#000', points };
  });
  const W = 1080;
  const H = 760;
  const pw = 330;
  const ph = 250;
  const usersSets = after === undefined ? [base] : [base, after];
  const panels = [
    { title: 'throughput vs events per user', xLabel: 'events per user (log), full core', yLabel: '% of small data set req/s', lines: lines(full, (s) => s.eventsPerUser, 'rps'), goal: 80, goalLabel: 'goal ≥ 80 %', x: 90, y: 80 },
    { title: 'throughput vs users per core', xLabel: 'users on the core (log), small users', yLabel: '% of small data set req/s', lines: lines(usersSets, (s) => s.usersOnCore, 'rps'), goal: 80, goalLabel: 'goal ≥ 80 %', x: 500, y: 80 },
    { title: 'p99 vs events per user', xLabel: 'events per user (log), full core', yLabel: 'p99 ÷ small data set p99', lines: lines(full, (s) => s.eventsPerUser, 'p99'), goal: 2, goalLabel: 'goal ≤ 2×', x: 90, y: 430 },
    { title: 'p99 vs users per core', xLabel: 'users on the core (log), small users', yLabel: 'p99 ÷ small data set p99', lines: lines(usersSets, (s) => s.usersOnCore, 'p99'), goal: 2, goalLabel: 'goal ≤ 2×', x: 500, y: 430 },
  ].map((p) => panel({ ...p, w: pw, h: ph }));
  const legend = ids.map((id, i) => `<g><rect x="870" y="${80 + i * 20}" width="12" height="12" fill="${COLORS[i % COLORS.length] ?? '#000'}"/><text x="888" y="${91 + i * 20}">${escapeXml(id.replace(/^events\./, 'ev.'))}</text></g>`);
  const setsNote = sets.map((s) => `${s.label}: ${s.eventsPerUser.toLocaleString('en')} events/user, ${s.usersOnCore.toLocaleString('en')} users`);
  const half = Math.ceil(setsNote.length / 2);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(setsNote.slice(0, half).join(' · '))}</text>`,
    `<text x="${W / 2}" y="54" text-anchor="middle" fill="#555">${escapeXml(setsNote.slice(half).join(' · '))}</text>`,
    ...panels,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
