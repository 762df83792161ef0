import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { KEY_ID, type Key, type KeyName, type KeyRing } from '../secrets/key-ring.js';

/** The names whose keys seal (AES-256-GCM); the others key MACs. */
export type SealName = Extract<KeyName, 'token-sealing' | 'webhook-secrets'>;

/** Which key MACs a purpose: attachment read tokens have their own, every other short-lived MAC shares one. */
const macName = (purpose: string): KeyName => (purpose === 'attachment-read' ? 'read-tokens' : 'reset-macs');

/**
 * Tokens and secrets at rest under the core's named keys (src/secrets/key-ring.ts). A keyed hash
 * finds an access by token (the database never holds a usable token); AES-256-GCM keeps tokens and
 * webhook secrets for the places the API must show or use them.
 *
 * Formats: a value made by a legacy key (derived from the former `auth.tokenSecret`) keeps the former
 * format (`<hash>`, `<iv>.<tag>.<ct>`); any other carries its key id first (`<id>.<hash>`,
 * `<id>.<iv>.<tag>.<ct>`). New data uses the current key; every key of the ring reads.
 */
export class TokenVault {
  constructor(readonly ring: KeyRing) {}

  /** The lookup hash under the current key (stored with a new access). */
  lookupHash(token: string): string {
    return hashWith(this.ring.current('token-lookup'), token);
  }

  /** The lookup hash under every key, current first (authentication tries each). */
  lookupHashes(token: string): string[] {
    return this.ring.all('token-lookup').map((k) => hashWith(k, token));
  }

  encrypt(value: string): string {
    return this.seal('token-sealing', value);
  }

  decrypt(sealed: string): string {
    return this.unseal('token-sealing', sealed);
  }

  seal(name: SealName, value: string): string {
    const k = this.ring.current(name);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', k.key, iv);
    const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url'));
    return (k.legacy ? parts : [k.id, ...parts]).join('.');
  }

  unseal(name: SealName, sealed: string): string {
    const parts = sealed.split('.');
    const id = parts.length === 4 ? (parts.shift() as string) : null;
    const [iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64url'));
    if (parts.length !== 3 || iv === undefined || tag === undefined || ct === undefined) throw new Error('malformed sealed value');
    const candidates = id !== null ? [this.ring.byId(name, id)] : legacyFirst(this.ring, name);
    for (const k of candidates) {
      if (k === null) continue;
      try {
        const decipher = createDecipheriv('aes-256-gcm', k.key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      } catch {
        // the next candidate (only a value without key id has several)
      }
    }
    throw new Error(id !== null && this.ring.byId(name, id) === null ? `sealed with unknown key ${name}/${id}` : 'sealed value cannot be opened');
  }

  /** Keyed MAC (attachment read tokens, password resets, MFA, placement proofs) under the current key. */
  mac(purpose: string, value: string): string {
    return macWith(this.ring.current(macName(purpose)), purpose, value);
  }

  /** The MAC under every key, current first: what a MAC made before a rotation may equal. */
  macs(purpose: string, value: string): string[] {
    return this.ring.all(macName(purpose)).map((k) => macWith(k, purpose, value));
  }

  /** The key id a stored hash or sealed value was made with (legacy formats: the legacy key's id). */
  keyIdOf(name: KeyName, stored: string): string | null {
    const first = stored.split('.')[0] ?? '';
    if (stored.includes('.') && KEY_ID.test(first) && (name === 'token-lookup' || stored.split('.').length === 4)) return first;
    return this.ring.legacy(name)?.id ?? null;
  }

  /** True when `stored` was made with the current key of `name` (nothing for `bin/keys reseal` to do). */
  isCurrent(name: KeyName, stored: string): boolean {
    return this.keyIdOf(name, stored) === this.ring.current(name).id;
  }
}

function hashWith(k: Key, token: string): string {
  const h = createHmac('sha256', k.key).update(token).digest('base64url');
  return k.legacy ? h : `${k.id}.${h}`;
}

const macWith = (k: Key, purpose: string, value: string): string => createHmac('sha256', k.key).update(`${purpose}\0${value}`).digest('base64url');

/** A value in the former format: the legacy key first, then (a key retired and re-added) the others. */
function legacyFirst(ring: KeyRing, name: SealName): Key[] {
  const legacy = ring.legacy(name);
  return legacy === null ? ring.all(name) : [legacy, ...ring.all(name).filter((k) => k.id !== legacy.id)];
}
