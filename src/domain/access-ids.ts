/**
 * Versioned access ids (Pryv API §1.5, §3.4 update): an access never updated is shown with its bare
 * (base) id; after its n-th update as `<base>:<n>`. Storage and tracking fields (`createdBy`,
 * `modifiedBy` of accesses) keep the base id, so children stay linked to their creator across its
 * versions. Minted ids are cuids and never contain `:`.
 */

/** `<base>:<serial>` with serial ≥ 1 and no leading zero; anything else is a bare id. */
const COMPOSITE = /^(.+):([1-9][0-9]{0,9})$/;

export interface ParsedAccessId {
  base: string;
  /** null for a bare id. */
  serial: number | null;
}

export function parseAccessId(id: string): ParsedAccessId {
  const m = COMPOSITE.exec(id);
  if (m === null || m[1] === undefined || m[2] === undefined) return { base: id, serial: null };
  return { base: m[1], serial: Number(m[2]) };
}

/** The id an access version is shown with. */
export function apiAccessId(base: string, serial: number): string {
  return serial === 0 ? base : `${base}:${serial}`;
}

export function baseAccessId(id: string): string {
  return parseAccessId(id).base;
}

/** Both ids designate the same access (any version). */
export function sameAccess(a: string, b: string): boolean {
  return baseAccessId(a) === baseAccessId(b);
}
