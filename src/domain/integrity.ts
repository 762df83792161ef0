import { createHash } from 'node:crypto';
import type { Event } from './types.js';

/**
 * `integrity` of events and accesses (Pryv API §2.1, spec §9 row 33), as the reference computes it
 * (pryv/lib-javascript-blockchain, "v0"): `<CODE>:0:<algorithm>-<base64 digest>` of a stable JSON
 * form of the item, in the subresource-integrity (SRI) format attachments use.
 *
 * Stable form: object keys sorted by UTF-16 code units, no spaces, array order kept, properties whose
 * value is null or undefined left out, numbers as JavaScript prints them. Events also leave out
 * `integrity`, `trashed: false`, `duration: 0` and attachments' `readToken`; accesses leave out
 * `integrity` and `lastUsed` (too volatile).
 */

export type IntegrityAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Byte-wise UTF-16 order, the reference's `utf16StrCompare` (not localeCompare). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with sorted keys and null-valued properties dropped. */
export function stableStringify(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort(compareKeys)) {
      const text = stableStringify(record[key]);
      if (text !== 'null') parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new TypeError(`cannot represent a ${typeof value} in an integrity hash`);
}

function digest(text: string, algorithm: IntegrityAlgorithm): string {
  return `${algorithm}-${createHash(algorithm).update(text, 'utf8').digest('base64')}`;
}

/** The event as hashed: what the reference's `stringifyEvent0` keeps. */
function eventForHash(event: Event): Record<string, unknown> {
  const { integrity: _i, ...rest } = event;
  void _i;
  const e: Record<string, unknown> = { ...rest };
  if (e.duration === 0) delete e.duration;
  if (e.trashed !== true) delete e.trashed;
  if (event.attachments !== undefined) e.attachments = event.attachments.map(({ readToken: _t, ...a }) => a);
  return e;
}

export function eventIntegrity(event: Event, algorithm: IntegrityAlgorithm = 'sha256'): string {
  return `EVENT:0:${digest(stableStringify(eventForHash(event)), algorithm)}`;
}

export function accessIntegrity(access: Record<string, unknown>, algorithm: IntegrityAlgorithm = 'sha256'): string {
  const { integrity: _i, lastUsed: _l, ...rest } = access;
  void _i;
  void _l;
  return `ACCESS:0:${digest(stableStringify(rest), algorithm)}`;
}

/** True when `integrity` matches the access as shown (`shown`: its API form with token, without apiEndpoint). */
export function checkAccessIntegrity(shown: Record<string, unknown>, integrity: string): boolean {
  const algorithm = /^ACCESS:0:(sha256|sha384|sha512)-/.exec(integrity)?.[1] as IntegrityAlgorithm | undefined;
  return algorithm !== undefined && accessIntegrity(shown, algorithm) === integrity;
}

/** True when `event.integrity` is absent or matches its content (bin/integrity-check). */
export function checkEventIntegrity(event: Event): boolean {
  if (event.integrity === undefined) return true;
  const algorithm = /^EVENT:0:(sha256|sha384|sha512)-/.exec(event.integrity)?.[1] as IntegrityAlgorithm | undefined;
  return algorithm !== undefined && eventIntegrity(event, algorithm) === event.integrity;
}
