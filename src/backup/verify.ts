import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { forEachBounded } from './bounded.js';
import { deriveKey, hashFile, type Codec } from './codec.js';
import { MANIFEST, manifestMacValid, manifestProblem, PARTIAL_SUFFIX, type Manifest } from './manifest.js';

/** A backup bin/restore will not use; `message` is the one-line reason shown to the operator. */
export class BackupRefusedError extends Error {
  override name = 'BackupRefusedError';
}

export interface VerifiedBackup {
  dir: string;
  manifest: Manifest;
  codec: Codec;
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

export interface VerifyOptions {
  /** bin/backup's own check before the rename: the directory still ends in `.partial`. */
  allowPartialName?: boolean;
  /**
   * Files whose size and SHA-256 the caller read from the file itself moments ago (bin/backup's
   * hard-linked attachments: the link is the very inode it hashed): not read a second time.
   */
  alreadyRead?: ReadonlySet<string>;
}

/** Files hashed at once: their reads overlap, from a cold disk too (codec.ts hashFile). */
const PARALLEL_FILES = 4;

/**
 * Checks a backup before anything is restored from it: a complete run (not `.partial`, a manifest),
 * a manifest this version reads, its MAC under the passphrase (encrypted backups), exactly the files
 * it lists, and the size and SHA-256 of every one. Throws BackupRefusedError with the first problem.
 */
export async function verifyBackup(dir: string, passphrase: string | null, options: VerifyOptions = {}): Promise<VerifiedBackup> {
  const refuse = (reason: string): never => {
    throw new BackupRefusedError(reason);
  };
  if (basename(dir).endsWith(PARTIAL_SUFFIX) && options.allowPartialName !== true) {
    refuse(`${basename(dir)} is a partial backup (the run never completed)`);
  }
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refuse(code === 'ENOENT' ? `${dir} has no ${MANIFEST}: not a complete backup` : `cannot read ${MANIFEST}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse(`${MANIFEST} is not valid JSON (altered or truncated)`);
  }
  const problem = manifestProblem(parsed);
  if (problem !== null) refuse(problem);
  const manifest = parsed as Manifest;
  const enc = manifest.codec.encryption;
  let codec: Codec = { gzip: manifest.codec.gzip === true, key: null };
  if (enc !== null) {
    if (passphrase === null) refuse('the backup is encrypted: give its passphrase (--passphrase-file)');
    codec = { ...codec, key: await deriveKey(passphrase ?? '', enc.kdf) };
    if (!manifestMacValid(manifest, codec.key as NonNullable<Codec['key']>)) refuse('wrong passphrase, or the manifest was altered (MAC mismatch)');
  }
  const present = new Set((await filesUnder(dir)).filter((f) => f !== MANIFEST));
  for (const f of Object.keys(manifest.files)) {
    if (!present.has(f)) refuse(`missing file ${f}`);
    present.delete(f);
  }
  const extra = [...present][0];
  if (extra !== undefined) refuse(`unlisted file ${extra} (not written by the backup)`);
  const toRead = Object.entries(manifest.files).filter(([f]) => options.alreadyRead?.has(f) !== true);
  await forEachBounded(toRead, PARALLEL_FILES, async ([f, want]) => {
    const got = await hashFile(join(dir, f));
    if (got.size !== want.size || got.sha256 !== want.sha256) refuse(`checksum mismatch: ${f} (altered or damaged)`);
  });
  return { dir, manifest, codec };
}
