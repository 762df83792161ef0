import { call, expectStatus, field } from './http.ts';
import { seedScale, type SeededUser } from './seed.ts';

/**
 * Content-query data (issue #11): per user, 2,000 `medication/intake` events with object content
 * `{drug: {codes: {atc}, name}, taken, dose}` in their own root stream `meds`, 50 to 70 days back,
 * so the other events.get scenarios (the newest 20, a window 25 days back) read what they read before.
 * 32 ATC-like codes in 4 classes of 8; `taken` alternates; `dose` cycles 0…199.
 */
export const medsPerUser = (): number => Math.max(1, Math.round(2000 * seedScale()));
export const MEDS_STREAM = 'meds';
const CLASSES = ['G03DA', 'B01AC', 'N02BE', 'C07AB'];
export const ATC_CODES = CLASSES.flatMap((c) => Array.from({ length: 8 }, (_, i) => `${c}0${i + 1}`));

/** The content queries the scenarios run (and the seed counts). */
export const CONTENT_QUERIES = {
  eq: [{ path: 'drug.codes.atc', eq: 'G03DA04' }],
  in16: [{ path: 'drug.codes.atc', in: ATC_CODES.slice(0, 16) }, { path: 'taken', eq: true }],
  prefix: [{ path: 'drug.codes.atc', prefix: 'G03' }],
  range: [{ path: 'dose', gte: 50 }, { path: 'dose', lt: 100 }],
} as const;
export type ContentQueryName = keyof typeof CONTENT_QUERIES;

export function contentQueryPath(user: SeededUser, name: ContentQueryName): string {
  return `${user.path}events?content=${encodeURIComponent(JSON.stringify(CONTENT_QUERIES[name]))}`;
}

export async function seedMedications(user: SeededUser, now: number): Promise<void> {
  await expectStatus(201, 'POST', `${user.base}streams`, { token: user.personalToken, body: { id: MEDS_STREAM, name: 'Medications' } });
  const perUser = medsPerUser();
  const step = (20 * 86_400) / perUser;
  const calls = Array.from({ length: perUser }, (_, i) => {
    const atc = ATC_CODES[(i * 7) % ATC_CODES.length] ?? 'G03DA01';
    return {
      method: 'events.create',
      params: {
        streamIds: [MEDS_STREAM],
        type: 'medication/intake',
        time: now - 50 * 86_400 - i * step,
        content: { drug: { codes: { atc }, name: `drug ${atc}` }, taken: i % 2 === 0, dose: i % 200 },
      },
    };
  });
  // Smaller batches on the mongodb engine (seed.ts SLOW), each answered within the client's timeouts.
  const size = process.env['BENCH_SEED_SLOW'] === '1' ? 100 : 1000;
  for (let from = 0; from < calls.length; from += size) {
    const body = await expectStatus(200, 'POST', user.base, { token: user.personalToken, body: calls.slice(from, from + size), timeoutMs: 30 * 60_000 });
    const failed = field<unknown[]>(body, 'results').find((r) => typeof r === 'object' && r !== null && 'error' in r);
    if (failed !== undefined) throw new Error(`seeding medications failed: ${JSON.stringify(failed).slice(0, 300)}`);
  }
}

/** How many events each content query returns (default limit 20: a full page means enough matches). */
export async function contentCounts(user: SeededUser): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(CONTENT_QUERIES) as ContentQueryName[]) {
    const r = await call('GET', `${new URL(user.base).origin}${contentQueryPath(user, name)}`, { token: user.personalToken });
    if (r.status !== 200) throw new Error(`content query ${name} answered ${r.status}: ${r.text.slice(0, 300)}`);
    out[`content ${name}, personal`] = field<unknown[]>(r.body, 'events').length;
  }
  return out;
}
