import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertTraversable } from '../../../../src/storage/engines/postgresql/embedded-postgres.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('assertTraversable', () => {
  it('accepts a var dir whose ancestors others may traverse', () => {
    const root = mkdtempSync(join(tmpdir(), 'hc-trav-'));
    made.push(root);
    chmodSync(root, 0o755);
    expect(() => assertTraversable(join(root, 'var'))).not.toThrow();
  });

  it('names the blocking directory and the fix when an ancestor is 0700', () => {
    const root = mkdtempSync(join(tmpdir(), 'hc-trav-'));
    made.push(root);
    mkdirSync(join(root, 'private'));
    chmodSync(join(root, 'private'), 0o700);
    chmodSync(root, 0o755);
    expect(() => assertTraversable(join(root, 'private', 'checkout', 'var'))).toThrow(/cannot traverse .*private \(mode 700\).*HOMECORE_PATHS__VAR_DIR/);
  });
});
