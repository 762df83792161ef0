import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle, type KeysPayload } from '../../src/cluster/bundle.js';
import { createLogger } from '../../src/logging/logger.js';
import { KeyExportsRepository } from '../../src/platform/key-exports.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { KEY_NAMES, readKeySetFile, type KeySet } from '../../src/secrets/key-ring.js';
import { projectRoot } from '../../src/util/project-root.js';
import { freePort } from '../helpers/free-port.js';
import { call, platformForTest, type MultiCore, type Platform } from '../helpers/multi-core.js';

/**
 * Issue #12 (keys), "moving keys to a second server": two real cores of one platform (shared rqlited,
 * own databases and var dirs). A rotation on core A, `bin/keys export` there, `bin/keys import` on
 * core B; then an access grant sealed on A opens on B. The export is single use on every server of
 * the platform, refused when expired or with a wrong passphrase; key files stay 0600; no key material
 * in any log or command output.
 */
let p: Platform;
let a: MultiCore;
let b: MultiCore;
let rq: RqliteClient;
const outputs: string[] = [];

interface Run { code: number | null; stdout: string; stderr: string }
function keysCli(core: MultiCore, args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'bin', 'keys.js'), ...args], { cwd: core.core.varDir, env: core.core.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}
const keysOf = (core: MultiCore): KeySet => readKeySetFile(join(core.core.varDir, 'secrets', 'keys.json'));
const currentIds = (set: KeySet): string[] => KEY_NAMES.map((n) => set.keys[n].at(-1)?.id ?? '');

beforeAll(async () => {
  p = platformForTest({ publicPort: await freePort() });
  rq = new RqliteClient({ url: p.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger: createLogger({ level: 'silent', role: 'test' }) });
  [a, b] = await Promise.all([p.start('a', '127.0.0.2'), p.start('b', '127.0.0.3')]);
}, 180_000);

afterAll(async () => {
  for (const x of [a, b]) await x?.core.kill();
  await rq?.execute([['DELETE FROM cores WHERE hosting = ?', p.hosting]]).catch(() => undefined);
  await rq?.close();
}, 60_000);

describe('moving keys to a second server', { timeout: 150_000 }, () => {
  let exportFile = '';
  let passphrase = '';

  it('rotates on A; the export carries the set, its passphrase is shown once', async () => {
    // Both cores started from the platform's auth.tokenSecret: the same derived keys.
    expect(currentIds(keysOf(a))).toEqual(currentIds(keysOf(b)));
    const rotated = await keysCli(a, ['rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(currentIds(keysOf(a))).not.toEqual(currentIds(keysOf(b)));

    const exported = await keysCli(a, ['export', '--out', join(a.core.varDir, 'keys.export')]);
    expect(exported.code, exported.stderr).toBe(0);
    exportFile = join(a.core.varDir, 'keys.export');
    passphrase = /passphrase \(shown once, not stored anywhere\): (\S+)/.exec(exported.stdout)?.[1] ?? '';
    expect(passphrase.length).toBeGreaterThanOrEqual(16);
    expect(statSync(exportFile).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong passphrase and leaves the export importable', async () => {
    const wrong = await keysCli(b, ['import', exportFile], 'not-the-passphrase\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    expect(currentIds(keysOf(b))).not.toEqual(currentIds(keysOf(a)));
  });

  it('imports on B (passphrase on stdin): a grant sealed on A opens on B', async () => {
    const imported = await keysCli(b, ['import', exportFile], `${passphrase}\n`);
    expect(imported.code, imported.stderr).toBe(0);
    expect(currentIds(keysOf(b))).toEqual(currentIds(keysOf(a)));

    const started = await call(a.url, '/reg/access', { method: 'POST', body: { requestingAppId: 'keys-test', requestedPermissions: [{ streamId: 'diary', level: 'read' }] } });
    expect(started.status).toBe(201);
    const key = String(started.body['key']);
    const accepted = await call(a.url, `/reg/access/${key}`, { method: 'POST', body: { status: 'ACCEPTED', username: 'keys-user', token: 'ckeystransfertoken' } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    // Sealed on A under A's new token-sealing key (its id leads the sealed value in the platform DB).
    const row = await rq.queryRows("SELECT state FROM request_states WHERE key = ? AND kind = 'access-request'", [key], 'linearizable');
    expect(String(row[0]?.['state'])).toContain(`"sealed":"${keysOf(a).keys['token-sealing'].at(-1)?.id}.`);
    // B takes the imported file within a second, without a restart.
    await expect
      .poll(async () => (await call(b.url, `/reg/access/${key}`)).body['token'], { timeout: 10_000, interval: 250 })
      .toBe('ckeystransfertoken');
  });

  it('refuses the same export a second time, on B and on A', async () => {
    for (const core of [b, a]) {
      const again = await keysCli(core, ['import', exportFile], `${passphrase}\n`);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/imported already \(single use\)/);
    }
  });

  it('refuses an expired export, and one the platform never recorded', async () => {
    const passFile = join(b.core.varDir, 'pass.txt');
    writeFileSync(passFile, 'an-operator-passphrase-0123456789\n', { mode: 0o600 });
    const made = await keysCli(a, ['export', '--out', join(a.core.varDir, 'op.export'), '--passphrase-file', passFile]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).not.toContain('an-operator-passphrase');

    const expired: KeysPayload = { v: 1, kind: 'keys', core: { id: a.id }, expiresAt: Date.now() - 1000, exportId: 'expired-export-0001', keys: keysOf(a) };
    await new KeyExportsRepository(rq).record(expired.exportId, a.id, Date.now() + 60_000);
    writeFileSync(join(b.core.varDir, 'expired.export'), sealBundle(expired, 'an-operator-passphrase-0123456789'), { mode: 0o600 });
    const late = await keysCli(b, ['import', join(b.core.varDir, 'expired.export'), '--passphrase-file', passFile]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/expired/);

    const unknown: KeysPayload = { ...expired, expiresAt: Date.now() + 60_000, exportId: 'never-recorded-0001' };
    writeFileSync(join(b.core.varDir, 'unknown.export'), sealBundle(unknown, 'an-operator-passphrase-0123456789'), { mode: 0o600 });
    const stray = await keysCli(b, ['import', join(b.core.varDir, 'unknown.export'), '--passphrase-file', passFile]);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toMatch(/unknown to this platform/);

    // The operator's export is still good (nothing above spent it).
    const ok = await keysCli(b, ['import', join(a.core.varDir, 'op.export'), '--passphrase-file', passFile]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('reseal runs on a live core; key files are 0600; no key material in logs or outputs', async () => {
    const dry = await keysCli(a, ['reseal', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/token-lookup: \d+ under an older key/);
    const listed = await keysCli(b, ['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^token-lookup +l[0-9a-f]{7} \(from auth\.tokenSecret\), k[0-9a-f]{7} current$/m);
    // A holds no user: nothing is left under an older key, so they retire; MAC keys on request.
    const retired = await keysCli(a, ['reseal', '--retire']);
    expect(retired.code, retired.stderr).toBe(0);
    expect(keysOf(a).keys['token-lookup']).toHaveLength(1);
    expect(keysOf(a).keys['read-tokens']).toHaveLength(2);
    expect((await keysCli(a, ['retire'])).stderr).toMatch(/--key is required/);
    expect((await keysCli(a, ['retire', '--key', 'read-tokens,reset-macs'])).code).toBe(0);
    expect(keysOf(a).keys['reset-macs']).toHaveLength(1);
    for (const core of [a, b]) {
      expect(statSync(join(core.core.varDir, 'secrets', 'keys.json')).mode & 0o777).toBe(0o600);
      expect(statSync(join(core.core.varDir, 'secrets')).mode & 0o777).toBe(0o700);
    }
    const material = [a, b].flatMap((core) => KEY_NAMES.flatMap((n) => keysOf(core).keys[n].map((e) => e.key)));
    expect(material.length).toBeGreaterThan(10);
    const logs = [...a.core.logs, ...b.core.logs, ...outputs].join('\n');
    for (const m of material) expect(logs.includes(m), 'key material in a log or output').toBe(false);
    expect(readFileSync(join(a.core.varDir, 'keys.export'), 'utf8')).not.toContain(material[0]);
  });
});
