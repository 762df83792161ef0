import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BundleError, newPassphrase, openBundle, sealBundle, type KeysPayload } from '../../cluster/bundle.js';
import { KeyExportsRepository } from '../../platform/key-exports.js';
import { installKeySet, keysFileIn, loadKeyRing } from '../../secrets/core-secrets.js';
import { KEY_NAMES, KeySetError, mergeKeySets, parseKeySet, readKeySetFile } from '../../secrets/key-ring.js';
import { CliError, config, int, platformClient, str, type Io, type Values } from '../bootstrap/context.js';

/** What the keys commands need beyond output: the passphrase when no file names it (TTY or stdin). */
export interface KeysIo extends Io {
  readPassphrase: (prompt: string) => Promise<string>;
}

export const EXPORT_HELP = `bin/keys export [--out <file>] [--passphrase-file <f>] [--ttl-minutes <n>] [-c <config>]

Writes this core's key set sealed (scrypt + AES-256-GCM) with a one-time passphrase, printed once,
or with the passphrase read from --passphrase-file (at least 16 characters). The export is recorded
in the platform DB: it can be imported once, on any server of the platform, before it expires
(default 60 minutes). The file (0600) and the passphrase must travel separately.

  --out <file>            default ./keys-<export id>.export`;

export const IMPORT_HELP = `bin/keys import <file> [--passphrase-file <f>] [-c <config>]

Adds the exported keys to this core's key set (their current keys become current) and marks the
export used in the platform DB. Asks for the passphrase on the terminal (or reads one line from
stdin) unless --passphrase-file is given. Refuses a wrong passphrase, an expired export and one
imported before, here or on another server. Never prints a key.`;

const MIN_PASSPHRASE = 16;

function passphraseFrom(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
  } catch (err) {
    throw new CliError(`passphrase file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export async function exportKeys(values: Values, io: KeysIo, now = Date.now()): Promise<void> {
  const cfg = config(values);
  const keys = loadKeyRing(cfg, { create: false }).snapshot();
  const exportId = randomBytes(12).toString('base64url');
  const expiresAt = now + int(values, 'ttl-minutes', 60) * 60_000;
  const passFile = str(values, 'passphrase-file');
  const passphrase = passFile === undefined ? newPassphrase() : passphraseFrom(passFile);
  if (passphrase.length < MIN_PASSPHRASE) throw new CliError(`the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  const out = resolve(str(values, 'out') ?? `keys-${exportId}.export`);
  const payload: KeysPayload = { v: 1, kind: 'keys', core: { id: cfg.core.id }, expiresAt, exportId, keys };
  writeFileSync(out, sealBundle(payload, passphrase), { mode: 0o600, flag: 'wx' });
  const client = platformClient(cfg);
  try {
    await new KeyExportsRepository(client).record(exportId, cfg.core.id, expiresAt);
  } catch (err) {
    // Unrecorded, it could never be imported: leave nothing behind.
    rmSync(out, { force: true });
    throw err;
  } finally {
    await client.close();
  }
  io.out(`export ${exportId}: ${out} (0600), importable once until ${new Date(expiresAt).toISOString()}`);
  io.out(`keys: ${KEY_NAMES.map((n) => `${n} ${keys.keys[n].length}`).join(', ')}`);
  if (passFile === undefined) io.out(`passphrase (shown once, not stored anywhere): ${passphrase}`);
  io.out(`on the other server: bin/keys import ${out}`);
}

export async function importKeys(values: Values, positionals: string[], io: KeysIo, now = Date.now()): Promise<void> {
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new CliError('one export file is expected (see --help)');
  const cfg = config(values);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const passFile = str(values, 'passphrase-file');
  const passphrase = passFile === undefined ? (await io.readPassphrase('passphrase: ')).trim() : passphraseFrom(passFile);
  let payload: KeysPayload;
  try {
    payload = openBundle(text, passphrase, 'keys');
  } catch (err) {
    if (err instanceof BundleError) throw new CliError(err.message.replaceAll('bundle', 'export'));
    throw err;
  }
  if (payload.expiresAt < now) throw new CliError(`export ${payload.exportId} expired at ${new Date(payload.expiresAt).toISOString()}: make a new one`);
  const file0 = keysFileIn(cfg.paths.varDir);
  try {
    // Checked before the export is spent: a clash leaves it importable elsewhere.
    mergeKeySets(existsSync(file0) ? readKeySetFile(file0) : null, parseKeySet(payload.keys));
  } catch (err) {
    if (err instanceof KeySetError) throw new CliError(`not imported: ${err.message}`);
    throw err;
  }
  const client = platformClient(cfg);
  let use: string;
  try {
    use = await new KeyExportsRepository(client).consume(payload.exportId, cfg.core.id);
  } finally {
    await client.close();
  }
  if (use === 'used') throw new CliError(`export ${payload.exportId} was imported already (single use): make a new one`);
  if (use === 'expired') throw new CliError(`export ${payload.exportId} expired: make a new one`);
  if (use === 'unknown') throw new CliError(`export ${payload.exportId} is unknown to this platform's database (made on another platform, or expired and swept)`);
  const merged = installKeySet(cfg.paths.varDir, payload.keys);
  io.out(`imported export ${payload.exportId} of ${payload.core.id} into ${file0}`);
  for (const name of KEY_NAMES) io.out(`${name.padEnd(16)} current ${merged.keys[name].at(-1)?.id ?? '?'} (${merged.keys[name].length} keys)`);
  io.out('the running core takes the keys within a second; delete the export file');
}
