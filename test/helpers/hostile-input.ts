import fc from 'fast-check';

/**
 * Generators of hostile requests for the edge fuzz test (issue #16): path ids, query strings and
 * JSON bodies a careless or malicious client could send. JSON bodies are built as text so they can
 * carry what JSON.stringify never writes (1e999, deep nesting, raw surrogates, NUL keys).
 */

/** Strings chosen to break things (SQL, path handling, encodings, limits). */
const NASTY = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udc00x', '😀', '..', '../../etc/passwd', "'; DROP TABLE events;--", '%', '%00', '\\',
  '__proto__', 'constructor', 'prototype', 'null', 'true', '1e999', '-1', 'NaN', 'Infinity', '0x10', '[]', '{}', '[object Object]',
  'x'.repeat(300), 'é'.repeat(200), '\u202e', '\r\nX-Injected: 1',
];

export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => 'y'.repeat(n)) },
  );

/** One path segment as sent on the wire: percent-encoded, or raw bytes a client may send as-is. */
export const hostileSegment = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: hostileString().filter((s) => s.length <= 400).map(encodeSegment) },
    { weight: 2, arbitrary: fc.constantFrom('%00', 'a%00', '%ED%A0%80', '%FF', '%', '%zz', '%2F', '%2e%2e', '%C0%AE', 'a;b', '*', '~') },
  );

/** encodeURIComponent, with unpaired surrogates written as their (invalid) UTF-8 bytes. */
export function encodeSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0xd800 && c <= 0xdfff) out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Query parameter names the API knows, plus noise; values hostile; keys may repeat or end in []. */
const QUERY_KEYS = [
  'skip', 'limit', 'fromTime', 'toTime', 'streams', 'types', 'state', 'modifiedSince', 'includeDeletions', 'sortAscending', 'running',
  'parentId', 'includeDeletionsSince', 'fromDeltaTime', 'toDeltaTime', 'auth', 'username', 'email', 'w', 'h', 'readToken', 'id', 'fields',
];

export const hostileQuery = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileString().filter((s) => s.length < 50)),
        fc.boolean(),
        fc.oneof(hostileString().filter((s) => s.length < 2000), fc.constantFrom('1e999', '-1e999', '1e20', '-5', '1.5', '[1,2]', '{"a":1}', `${'['.repeat(500)}${']'.repeat(500)}`)),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => pairs.map(([k, arr, v]) => `${encodeSegment(k)}${arr ? '[]' : ''}=${encodeSegment(v)}`).join('&'));

/** A JSON value as text: raw numbers JSON.stringify cannot write, deep nesting, odd keys. */
const jsonLeaf = (): fc.Arbitrary<string> =>
  fc.oneof(
    hostileString().map((s) => JSON.stringify(s)),
    fc.constantFrom('1e999', '-1e999', '1e308', '-0', '9007199254740993', '1e20', '0.1', 'true', 'false', 'null', '"\\u0000"', '"\\ud800"', '"\\udfff"', '[]', '{}'),
    fc.double().map((d) => (Number.isFinite(d) ? String(d) : '1e999')),
    fc.integer().map(String),
  );

const deep = (): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 60, max: 3000 }), fc.boolean()).map(([n, arrays]) => (arrays ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));

const JSON_KEYS = [
  'id', 'streamId', 'streamIds', 'type', 'content', 'clientData', 'time', 'duration', 'name', 'parentId', 'permissions', 'username',
  'password', 'email', 'url', 'description', 'tags', 'trashed', 'update', 'method', 'params', 'format', 'fields', 'points', 'appId',
  'language', 'oldPassword', 'newPassword', 'expireAfter', 'deviceName', 'referer', 'requestingAppId', 'requestedPermissions', 'level',
  'streamId', 'integrity', 'hosting', 'invitationToken', 'key', 'minIntervalMs', 'maxRetries', 'state',
];

/** Any JSON text, nested up to `depth` levels by construction (deeper by the `deep` leaves). */
export const hostileJson = (): fc.Arbitrary<string> => {
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      jsonLeaf(),
      deep(),
      fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
      fc
        .array(fc.tuple(fc.oneof(fc.constantFrom(...JSON_KEYS), hostileString().filter((s) => s.length < 60)), tie('value')), { maxLength: 6 })
        .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    ),
  }));
  return value;
};

/**
 * Bodies valid for the common methods (JSON texts per key), into which one hostile value is put: so
 * the hostile part gets past the first checks and down to the domain rules and storage.
 */
const TEMPLATES: Array<Record<string, string>> = [
  { streamIds: '["fuzz"]', type: '"note/txt"', content: '"hello"', clientData: '{"a":1}', time: '1700000000', tags: '[]' },
  { streamIds: '["fuzz"]', type: '"mass/kg"', content: '70', duration: '10', description: '"d"' },
  { id: '"s-fuzz-2"', name: '"a stream"', parentId: '"fuzz"', clientData: '{}' },
  { name: '"an access"', permissions: '[{"streamId":"fuzz","level":"read"}]', clientData: '{}', expireAfter: '3600', deviceName: '"d"' },
  { url: '"https://example.com/hook"', minIntervalMs: '1000', maxRetries: '3', state: '"active"' },
  { username: '"fuzzer1"', password: '"a-password-1"', email: '"f@example.com"', appId: '"fuzz-app"', language: '"en"', hosting: '"h"' },
  { oldPassword: '"a-good-password"', newPassword: '"another-password"' },
  { email: '"x@example.com"', language: '"fr"' },
  { requestingAppId: '"fuzz-app"', requestedPermissions: '[{"streamId":"fuzz","level":"read","defaultName":"F"}]', languageCode: '"en"' },
  { format: '"flatJSON"', fields: '["deltaTime","value"]', points: '[[0,1],[1,2]]' },
  { anyKey: '{"nested":{"x":1}}', other: '"v"' },
];

export const plausibleBody = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...TEMPLATES), fc.nat(), hostileJson(), fc.option(fc.tuple(hostileString().filter((k) => k.length < 40), hostileJson()), { freq: 4 }))
    .map(([tpl, pick, value, extra]) => {
      const keys = Object.keys(tpl);
      const target = keys[pick % keys.length] ?? 'x';
      const entries = Object.entries({ ...tpl, [target]: value });
      if (extra !== null) entries.push(extra);
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });

/** A body for a route: mostly an object with known keys (so it gets past the first checks). */
export const hostileBody = (methodIds: string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: hostileJson() },
    { weight: 5, arbitrary: plausibleBody() },
    {
      weight: 2,
      // A batch call (POST /{username}/): known methods, hostile params.
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...methodIds), fc.oneof(plausibleBody(), hostileJson())), { maxLength: 4 })
        .map((calls) => `[${calls.map(([m, p]) => `{"method":${JSON.stringify(m)},"params":${p}}`).join(',')}]`),
    },
  );
