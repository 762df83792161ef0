/** Keys whose values clients may send JSON-stringified (Pryv API §1.3). */
const JSON_KEYS = new Set(['streams', 'content', 'clientData', 'permissions', 'update']);

/**
 * Query string → params object: repeated keys and `key[]=` become arrays, JSON-stringified values of
 * the keys above are parsed. Type coercion (numbers, booleans, 1-item arrays) is left to the
 * method's schema (validation.ts, coercing mode).
 */
export function parseQuery(search: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const isArray = rawKey.endsWith('[]');
    const key = isArray ? rawKey.slice(0, -2) : rawKey;
    if (key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const v = parseValue(key, value);
    const cur = out[key];
    if (cur === undefined) {
      out[key] = isArray && !Array.isArray(v) ? [v] : v;
    } else {
      const list = Array.isArray(cur) ? cur : [cur];
      if (Array.isArray(v)) list.push(...(v as unknown[]));
      else list.push(v);
      out[key] = list;
    }
  }
  return out;
}

function parseValue(key: string, value: string): unknown {
  if (!JSON_KEYS.has(key)) return value;
  const t = value.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}
