import { existsSync, readFileSync } from 'node:fs';
import { caDir, caFiles, writeDirAtomically } from '../../cluster/files.js';
import { createCa, type Pem } from '../../cluster/pki.js';
import type { Io } from './context.js';

/** The cluster CA of this var dir, created (key 0600 in a 0700 dir) on first use. */
export async function ensureCa(varDir: string, domain: string, io: Io): Promise<Pem> {
  const f = caFiles(varDir);
  if (existsSync(f.key)) return { cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
  const ca = await createCa(`homecore cluster CA (${domain})`);
  writeDirAtomically(caDir(varDir), { 'ca.crt': ca.cert, 'ca.key': ca.key });
  io.out(`cluster CA created: ${f.key} (private key, 0600) and ${f.cert}`);
  io.out('BACK UP the CA key now, offline: without it no core can be added and no certificate renewed.');
  return ca;
}
