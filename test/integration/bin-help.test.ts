import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every bin command answers --help (issue #9): the usage on stdout, exit 0, no stack trace. The node
 * commands run the built dist/ (bin/test builds it first through bin/setup).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const COMMANDS: [string, string[], RegExp][] = [
  ['bin/master', ['--help'], /Usage: bin\/master[\s\S]*platform\.publicUrl[\s\S]*HOMECORE_/],
  ['bin/master', ['-h'], /Usage: bin\/master/],
  ['bin/check-config', ['--help'], /Usage: bin\/check-config[\s\S]*--config FILE/],
  ['bin/bootstrap.js', ['--help'], /bin\/bootstrap\.js <command>/],
  ['bin/integrity-check', ['--help'], /Usage: bin\/integrity-check[\s\S]*--repair[\s\S]*storages\./],
  ['bin/keys', ['--help'], /bin\/keys <command>[\s\S]*keys\.json/],
  ['bin/keys', ['import', '--help'], /bin\/keys import <file>[\s\S]*--passphrase-file/],
  ['bin/backup', ['--help'], /Usage: bin\/backup[\s\S]*--passphrase-file[\s\S]*backup\.\*/],
  ['bin/restore', ['--help'], /Usage: bin\/restore[\s\S]*<backup-dir>[\s\S]*Exit 0/],
  ['bin/audit', ['--help'], /Usage: bin\/audit[\s\S]*--user NAME[\s\S]*--from TIME/],
  ['bin/start', ['--help'], /Usage: bin\/start[\s\S]*bin\/master --help/],
  ['bin/setup', ['--help'], /Usage: bin\/setup/],
  ['bin/test', ['--help'], /Usage: bin\/test/],
  ['bin/install-rqlited', ['--help'], /Usage: bin\/install-rqlited/],
  ['bin/platform-demo', ['--help'], /bin\/platform-demo start/],
  ['bin/migrate', ['--help'], /Usage: bin\/migrate[\s\S]*migrations\.autoRun/],
  ['bin/failover', ['--help'], /Usage: bin\/failover --promote[\s\S]*storages\.postgresql\.hosts/],
  ['bin/pg-replica', ['--help'], /Usage: bin\/pg-replica primary[\s\S]*synchronous_standby_names/],
  ['bin/ha-test', ['--help'], /Usage: bin\/ha-test/],
  [process.execPath, ['dist/bin/healthcheck.js', '--help'], /Usage: node dist\/bin\/healthcheck\.js[\s\S]*http\.apiPort/],
];

describe('bin commands --help', () => {
  it.each(COMMANDS)('%s %s', (command, args, usage) => {
    const run = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(usage);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('bin commands, unknown option', () => {
  it.each([['bin/master'], ['bin/check-config'], ['bin/integrity-check'], ['bin/backup'], ['bin/restore'], ['bin/migrate'], ['bin/failover'], ['bin/audit']])('%s --nope → exit 2, the parser message, no stack', (command) => {
    const run = spawnSync(command, ['--nope'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/Unknown option '--nope'[\s\S]*Try --help/);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
