import { describe, expect, it } from 'vitest';
import { accessIntegrity, checkEventIntegrity, eventIntegrity, stableStringify } from '../../../src/domain/integrity.js';
import type { Event } from '../../../src/domain/types.js';

/**
 * The reference's test vector (pryv/lib-javascript-blockchain test/data/eventA, test/unit/event.test.js):
 * the same event must hash to the same `integrity` here, so a client checking it with Pryv's library
 * agrees with us.
 */
const REFERENCE_EVENT: Event = {
  id: 'ciusga35r000sgwg4o1sr1j5q',
  time: 1477575221.247,
  streamIds: ['diary'],
  type: 'picture/attached',
  duration: undefined,
  content: null,
  description: 'test"te"st',
  attachments: [
    { id: 'ciusga35r000tgwg4hcz2i22u', fileName: 'photo.jpg', type: 'image/jpeg', size: 2561, readToken: 'toto' },
    { id: 'ciusga35r000tgwg4hcz2i32u', type: 'image/jpeg', fileName: 'photo.jpg', size: 2561, readToken: 'toto' },
  ],
  created: 1477575221.247,
  createdBy: 'ciusga33w0004gwg436uhtqs2',
  modified: 1477575221.247,
  modifiedBy: 'ciusga33w0004gwg436uhtqs2',
  clientData: { key1: 'value1', key2: 'value2' },
  trashed: false,
};
const REFERENCE_INTEGRITY = 'EVENT:0:sha256-LOpcUCYOtvP6iiqAEe2pYY1qR/zouCf8maEPsMYBxv0=';

describe('integrity', () => {
  it('matches the reference library on its test vector', () => {
    expect(eventIntegrity(REFERENCE_EVENT)).toBe(REFERENCE_INTEGRITY);
  });

  it('ignores key order, readTokens, trashed: false, duration 0, null fields and a previous integrity', () => {
    const reshaped = {
      ...REFERENCE_EVENT,
      clientData: { key2: 'value2', key1: 'value1' },
      attachments: REFERENCE_EVENT.attachments?.map(({ readToken: _t, ...a }) => a),
      duration: 0,
      integrity: 'EVENT:0:sha256-whatever',
    };
    expect(eventIntegrity(reshaped)).toBe(REFERENCE_INTEGRITY);
    expect(eventIntegrity({ ...REFERENCE_EVENT, trashed: true })).not.toBe(REFERENCE_INTEGRITY);
    expect(eventIntegrity({ ...REFERENCE_EVENT, content: 'x' })).not.toBe(REFERENCE_INTEGRITY);
  });

  it('stable form: sorted keys, no spaces, nulls dropped, arrays in order', () => {
    expect(stableStringify({ b: [2, 1], a: { d: null, c: 'x' }, e: undefined })).toBe('{"a":{"c":"x"},"b":[2,1]}');
    expect(stableStringify({ B: 1, a: 2, _: 3 })).toBe('{"B":1,"_":3,"a":2}');
  });

  it('other algorithms and accesses', () => {
    expect(eventIntegrity(REFERENCE_EVENT, 'sha512')).toMatch(/^EVENT:0:sha512-[A-Za-z0-9+/]{86}==$/);
    const access = { id: 'a1', token: 't', name: 'n', type: 'app', permissions: [], lastUsed: 5 };
    expect(accessIntegrity(access)).toMatch(/^ACCESS:0:sha256-/);
    expect(accessIntegrity({ ...access, lastUsed: 99 })).toBe(accessIntegrity(access));
    expect(accessIntegrity({ ...access, name: 'm' })).not.toBe(accessIntegrity(access));
  });

  it('checkEventIntegrity: absent is fine, a match passes, anything else fails', () => {
    expect(checkEventIntegrity(REFERENCE_EVENT)).toBe(true);
    expect(checkEventIntegrity({ ...REFERENCE_EVENT, integrity: REFERENCE_INTEGRITY })).toBe(true);
    expect(checkEventIntegrity({ ...REFERENCE_EVENT, integrity: REFERENCE_INTEGRITY, time: 1 })).toBe(false);
    expect(checkEventIntegrity({ ...REFERENCE_EVENT, integrity: 'EVENT:0:md5-abc' })).toBe(false);
  });
});
