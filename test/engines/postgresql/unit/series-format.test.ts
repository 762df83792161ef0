import { describe, expect, it } from 'vitest';
import { EventTypes } from '../../../../src/domain/event-types.js';
import { parseFlatJson, SeriesLayouts, sortPoints } from '../../../../src/domain/series-format.js';
import { ApiError } from '../../../../src/errors/index.js';
import { mergeRows, sliceRows, toChunks } from '../../../../src/storage/engines/postgresql/series-store.js';

const layouts = new SeriesLayouts(new EventTypes());
const flat = (fields: string[], points: unknown[][]) => ({ format: 'flatJSON', fields, points });
const rows = (type: string, body: unknown, time = 0) => parseFlatJson(body, layouts.of(type), time).rows.map((r) => JSON.parse(r) as unknown);

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('series layouts', () => {
  it('single-value types have one value column; object types their properties', () => {
    expect(layouts.of('series:mass/kg').fields).toEqual(['deltaTime', 'value']);
    expect(layouts.of('series:position/wgs84').fields).toEqual(['deltaTime', 'latitude', 'longitude', 'altitude', 'horizontalAccuracy', 'verticalAccuracy', 'speed', 'bearing']);
    expect(() => layouts.of('series:not/known')).toThrow(ApiError);
  });
});

describe('parseFlatJson', () => {
  it.each<[string, string, unknown[], unknown]>([
    ['number from a numeric string', 'series:mass/kg', [0, '70.5'], [0, 70.5]],
    ['number with exponent', 'series:mass/kg', [0, '1e3'], [0, 1000]],
    ['boolean from "true"', 'series:boolean/bool', [0, 'true'], [0, true]],
    ['string kept', 'series:note/txt', [0, 'a "quoted", [bracketed] note'], [0, 'a "quoted", [bracketed] note']],
    ['string from a number', 'series:note/txt', [0, 12], [0, '12']],
    ['null type', 'series:activity/plain', [0, null], [0, null]],
  ])('%s', (_n, type, point, expected) => {
    expect(rows(type, flat(['deltaTime', 'value'], [point]))).toEqual([expected]);
  });

  it.each<[string, string, unknown[]]>([
    ['empty string for a number', 'series:mass/kg', [0, '']],
    ['object for a number', 'series:mass/kg', [0, { v: 1 }]],
    ['NaN-like string', 'series:mass/kg', [0, 'NaN']],
    ['"yes" for a boolean', 'series:boolean/bool', [0, 'yes']],
    ['a value for the null type', 'series:activity/plain', [0, 1]],
    ['required value missing', 'series:mass/kg', [0, null]],
    ['time not a number', 'series:mass/kg', ['soon', 1]],
  ])('refuses %s', (_n, type, point) => {
    const err = errorOf(() => parseFlatJson(flat(['deltaTime', 'value'], [point]), layouts.of(type), 0));
    expect(err.id).toBe('invalid-request-structure');
    expect(err.data).toMatchObject({ point: 0 });
  });

  it('checks the type rules beyond the JSON type (integer, minimum)', () => {
    const type = 'series:calendar/ical-event';
    expect(rows(type, flat(['deltaTime', 'dtstart', 'sequence'], [[0, '2024-01-01', '3']]))[0]).toEqual([0, null, null, null, null, null, null, null, 3, '2024-01-01', null, null]);
    for (const bad of ['3.5', -1]) {
      expect(errorOf(() => parseFlatJson(flat(['deltaTime', 'dtstart', 'sequence'], [[0, 'x', bad]]), layouts.of(type), 0)).data).toMatchObject({ field: 'sequence' });
    }
  });

  it('maps any field order onto the layout, with null for what was not sent', () => {
    expect(rows('series:position/wgs84', flat(['latitude', 'speed', 'deltaTime', 'longitude'], [[46, 2, 5, 6]]))).toEqual([[5, 46, 6, null, null, null, 2, null]]);
  });

  it('turns timestamps into deltaTimes from the event time', () => {
    const p = parseFlatJson(flat(['timestamp', 'value'], [[1000.25, 1]]), layouts.of('series:mass/kg'), 1000);
    expect(p.deltaTimes).toEqual([0.25]);
    expect(p.rows).toEqual(['[0.25,1]']);
  });

  it('the envelope: format, fields, points', () => {
    const layout = layouts.of('series:mass/kg');
    for (const body of [null, [], { fields: ['deltaTime', 'value'], points: [] }, { format: 'flatJSON', fields: [], points: [] }, { format: 'flatJSON', fields: [1], points: [] }, { format: 'flatJSON', fields: ['deltaTime', 'value'] }]) {
      expect(errorOf(() => parseFlatJson(body, layout, 0)).id).toBe('invalid-request-structure');
    }
    expect(parseFlatJson(flat(['deltaTime', 'value'], []), layout, 0)).toEqual({ deltaTimes: [], rows: [] });
  });
});

describe('sortPoints', () => {
  it('keeps sorted input as is', () => {
    const p = { deltaTimes: [0, 1, 2], rows: ['a', 'b', 'c'] };
    expect(sortPoints(p)).toBe(p);
  });
  it('sorts and keeps the last row of equal deltaTimes', () => {
    expect(sortPoints({ deltaTimes: [3, 1, 3, 0, 1], rows: ['a', 'b', 'c', 'd', 'e'] })).toEqual({ deltaTimes: [0, 1, 3], rows: ['d', 'e', 'c'] });
  });
});

describe('chunk helpers', () => {
  const text = ['[0,"a],[b"]', '[1,{"k":[1,2]}]', '[2.5,"\\"]"]', '[3,null]', '[10,1e+21]'].join(',');

  it.each<[number, number, string]>([
    [0, Infinity, text],
    [1, 3, '[1,{"k":[1,2]}],[2.5,"\\"]"]'],
    [2.5, 2.6, '[2.5,"\\"]"]'],
    [-Infinity, 0, ''],
    [3, 10, '[3,null]'],
    [4, 9, ''],
    [10, 11, '[10,1e+21]'],
  ])('sliceRows [%d, %d)', (from, to, expected) => {
    expect(sliceRows(text, from, to)).toBe(expected);
    if (expected !== '') expect(() => JSON.parse(`[${expected}]`)).not.toThrow();
  });

  it('mergeRows: ascending, incoming wins on equal deltaTimes', () => {
    expect(mergeRows([[0, 'a'], [2, 'b'], [4, 'c']], [[1, 'x'], [2, 'y'], [5, 'z']])).toEqual([[0, 'a'], [1, 'x'], [2, 'y'], [4, 'c'], [5, 'z']]);
  });

  it('toChunks: even chunks of at most the maximum', () => {
    const dts = Array.from({ length: 2500 }, (_, i) => i);
    const chunks = toChunks(dts, dts.map(String), 1000);
    expect(chunks.map((c) => [c.tMin, c.tMax, c.rows.length])).toEqual([[0, 833, 834], [834, 1667, 834], [1668, 2499, 832]]);
  });
});
