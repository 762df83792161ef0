import { CliError, parse, type Io, type Options } from './context.js';
import { init, INIT_HELP } from './init.js';
import { listCores, LIST_CORES_HELP, promoteCore, PROMOTE_CORE_HELP, revokeToken, REVOKE_TOKEN_HELP } from './manage.js';
import { newClone, NEW_CLONE_HELP } from './new-clone.js';
import { newCore, NEW_CORE_HELP } from './new-core.js';
import { removeCore, REMOVE_CORE_HELP } from './remove-core.js';
import { renewCert, RENEW_CERT_HELP } from './renew-cert.js';

const s = { type: 'string' } as const;
const identity: Options = { id: s, url: s, ip: s, hosting: s, zone: s, region: s, 'hosting-name': s, 'raft-address': s, 'cert-days': s };

interface Command {
  help: string;
  options: Options;
  run: (values: Record<string, string | boolean | undefined>, positionals: string[], io: Io) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  init: { help: INIT_HELP, options: { ...identity, domain: s }, run: (v, _p, io) => init(v, io) },
  'new-core': { help: NEW_CORE_HELP, options: { ...identity, out: s, 'passphrase-file': s, 'ttl-hours': s }, run: (v, _p, io) => newCore(v, io) },
  'new-clone': {
    help: NEW_CLONE_HELP,
    options: { id: s, 'clone-id': s, 'raft-address': s, out: s, 'passphrase-file': s, 'ttl-hours': s, 'cert-days': s },
    run: (v, _p, io) => newClone(v, io),
  },
  'renew-cert': { help: RENEW_CERT_HELP, options: { id: s, out: s, 'cert-days': s, apply: s, 'passphrase-file': s }, run: (v, _p, io) => renewCert(v, io) },
  'revoke-token': { help: REVOKE_TOKEN_HELP, options: {}, run: revokeToken },
  'list-cores': { help: LIST_CORES_HELP, options: {}, run: (v, _p, io) => listCores(v, io) },
  'promote-core': { help: PROMOTE_CORE_HELP, options: { 'timeout-s': s }, run: promoteCore },
  'remove-core': { help: REMOVE_CORE_HELP, options: {}, run: removeCore },
};

export const USAGE = `bin/bootstrap.js <command> [options]   (each command has --help)

  init           make this core the first core of a multi-core platform (cluster CA, own certificate)
  new-core       issue a sealed bundle for a new core (certificate, one-time join token)
  new-clone      issue a sealed bundle for a further clone of a core (certificate for its Raft address)
  renew-cert     renew this core's certificate, or issue one for another core
  revoke-token   revoke a core's unused join tokens
  list-cores     the platform's cores and their cluster state
  promote-core   make non-voting cores voters (keeps an odd number of voters)
  remove-core    take a core lost for good out of the cluster and of placement

On the new machine: bin/start --bootstrap <bundle> --bootstrap-passphrase-file <f>
See docs/operations.md, "From one core to three".`;

/** Runs one command; returns the exit code. Refusals are one line on stderr. */
export async function runBootstrapCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`bootstrap: unknown command "${name}" (bin/bootstrap.js --help)`);
    return 2;
  }
  try {
    const { values, positionals } = parse(rest, command.options);
    if (values['help'] === true) {
      io.out(command.help);
      return 0;
    }
    await command.run(values, positionals, io);
    return 0;
  } catch (err) {
    const message = err instanceof CliError ? err.message : (err as Error).message.split('\n').join('; ');
    io.err(`bootstrap ${name}: ${message}`);
    return 1;
  }
}
