import { TokenVault } from '../../auth/crypto.js';
import type { Config } from '../../config/index.js';
import { keysFile, loadKeyRing, writeKeySetFile } from '../../secrets/core-secrets.js';
import { KEY_NAMES, KeyRing, retireOldKeys, rotateKeySet, type KeyName } from '../../secrets/key-ring.js';
import { CliError, config, quietLogger, str, type Io, type Values } from '../bootstrap/context.js';
import { RESEALABLE, resealCore } from './reseal.js';

export const ROTATE_HELP = `bin/keys rotate [--key <name>[,<name>…]] [-c <config>]

Adds a new key for each name (default: all five) and makes it current: new tokens, sealed secrets and
MACs use it; older keys stay to read what they made. The running core takes it within a second. On a
platform of several cores, export the set and import it on each of the others (docs/operations.md).
Names: ${KEY_NAMES.join(', ')}.`;

export const LIST_HELP = `bin/keys list [-c <config>]

The key ids of each name, oldest first, the current one marked; never any key material.`;

export const RESEAL_HELP = `bin/keys reseal [--dry-run] [--retire] [-c <config>]

Makes every stored token hash, sealed token, sealed webhook secret and sealed TOTP secret of this core
again under the current keys (while the core serves). --dry-run only counts what an older key made.
--retire then drops the older keys of ${RESEALABLE.join(', ')} when nothing uses them any more.`;

export const RETIRE_HELP = `bin/keys retire --key <name>[,<name>…] [-c <config>]

Drops every key but the current one of the names given. For ${RESEALABLE.join(', ')} it refuses while
stored data still uses an older key (run reseal first). For read-tokens and reset-macs it ends what
their older keys made: read tokens given out before, pending password-reset and verification links,
MFA sessions, and recovery codes shown before the rotation.`;

function keyNames(values: Values, fallback: readonly KeyName[] | null): readonly KeyName[] {
  const given = str(values, 'key');
  if (given === undefined) {
    if (fallback === null) throw new CliError('--key is required (see --help)');
    return fallback;
  }
  const names = given.split(',').map((n) => n.trim());
  for (const n of names) if (!(KEY_NAMES as readonly string[]).includes(n)) throw new CliError(`unknown key name "${n}" (${KEY_NAMES.join(', ')})`);
  return names as KeyName[];
}

export function listKeys(values: Values, io: Io): void {
  const set = loadKeyRing(config(values), { create: true }).snapshot();
  for (const name of KEY_NAMES) {
    const list = set.keys[name];
    const ids = list.map((e, i) => `${e.id}${e.legacy === true ? ' (from auth.tokenSecret)' : ''}${i === list.length - 1 ? ' current' : ''}`);
    io.out(`${name.padEnd(16)} ${ids.join(', ')}`);
  }
}

export function rotate(values: Values, io: Io): void {
  const cfg = config(values);
  const names = keyNames(values, KEY_NAMES);
  const ring = loadKeyRing(cfg, { create: true });
  const { set, added } = rotateKeySet(ring.snapshot(), names);
  writeKeySetFile(keysFile(cfg), set);
  for (const [name, id] of Object.entries(added)) io.out(`${name}: new current key ${id}`);
  io.out('older keys stay for reading; after `bin/keys reseal`, `--retire` drops them');
}

async function staleCounts(cfg: Readonly<Config>, ring: KeyRing, write: boolean, io: Io): Promise<Record<string, number>> {
  const report = await resealCore(cfg, quietLogger(), new TokenVault(ring), write);
  for (const name of RESEALABLE) io.out(`${name}: ${report.old[name] ?? 0} under an older key${write ? `, ${report.resealed[name] ?? 0} resealed` : ''}`);
  return write ? (await resealCore(cfg, quietLogger(), new TokenVault(ring), false)).old : report.old;
}

function retireChecked(cfg: Readonly<Config>, ring: KeyRing, names: readonly KeyName[], left: Record<string, number>, io: Io): void {
  const busy = names.filter((n) => (left[n] ?? 0) > 0);
  if (busy.length > 0) throw new CliError(`not retired: stored data still uses an older key of ${busy.join(', ')} (run bin/keys reseal)`);
  const { set, retired } = retireOldKeys(ring.snapshot(), names);
  writeKeySetFile(keysFile(cfg), set);
  io.out(retired.length === 0 ? 'no older key to retire' : `retired: ${retired.join(', ')}`);
}

export async function resealCommand(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  const ring = KeyRing.fromFile(keysFile(cfg));
  const left = await staleCounts(cfg, ring, values['dry-run'] !== true, io);
  if (values['retire'] === true) retireChecked(cfg, ring, RESEALABLE, left, io);
}

export async function retireCommand(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  const names = keyNames(values, null);
  const ring = KeyRing.fromFile(keysFile(cfg));
  const left = names.some((n) => RESEALABLE.includes(n)) ? await staleCounts(cfg, ring, false, io) : {};
  retireChecked(cfg, ring, names, left, io);
}
