import { CliError, parse, type Options, type Values } from '../bootstrap/context.js';
import { LIST_HELP, listKeys, RESEAL_HELP, resealCommand, RETIRE_HELP, retireCommand, ROTATE_HELP, rotate } from './key-set-commands.js';
import { EXPORT_HELP, exportKeys, IMPORT_HELP, importKeys, type KeysIo } from './transfer.js';

export type { KeysIo } from './transfer.js';

const s = { type: 'string' } as const;
const b = { type: 'boolean' } as const;

interface Command {
  help: string;
  options: Options;
  run: (values: Values, positionals: string[], io: KeysIo) => Promise<void> | void;
}

const COMMANDS: Record<string, Command> = {
  list: { help: LIST_HELP, options: {}, run: (v, _p, io) => listKeys(v, io) },
  rotate: { help: ROTATE_HELP, options: { key: s }, run: (v, _p, io) => rotate(v, io) },
  reseal: { help: RESEAL_HELP, options: { 'dry-run': b, retire: b }, run: (v, _p, io) => resealCommand(v, io) },
  retire: { help: RETIRE_HELP, options: { key: s }, run: (v, _p, io) => retireCommand(v, io) },
  export: { help: EXPORT_HELP, options: { out: s, 'passphrase-file': s, 'ttl-minutes': s }, run: (v, _p, io) => exportKeys(v, io) },
  import: { help: IMPORT_HELP, options: { 'passphrase-file': s }, run: importKeys },
};

export const KEYS_USAGE = `bin/keys <command> [options]   (each command has --help)

  list      the key ids of each named key (never key material)
  rotate    a new current key (all names, or --key …); older keys stay for reading
  reseal    stored tokens and secrets again under the current keys; --retire drops the older ones
  retire    drop older keys of the names given
  export    the key set sealed with a one-time passphrase, single use, expiring
  import    add an export's keys to this core (asks for the passphrase)

The keys live in {varDir}/secrets/keys.json (0600). See docs/operations.md, "Keys".`;

/** Runs one command; returns the exit code. Refusals are one line on stderr, never with key material. */
export async function runKeysCli(argv: string[], io: KeysIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(KEYS_USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`keys: unknown command "${name}" (bin/keys --help)`);
    return 2;
  }
  try {
    const { values, positionals } = parse(rest, command.options);
    if (values['help'] === true) {
      io.out(command.help);
      return 0;
    }
    if (name !== 'import' && positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
    await command.run(values, positionals, io);
    return 0;
  } catch (err) {
    const message = err instanceof CliError ? err.message : (err as Error).message.split('\n').join('; ');
    io.err(`keys ${name}: ${message}`);
    return 1;
  }
}
