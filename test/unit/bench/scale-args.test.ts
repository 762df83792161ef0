import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../bench/src/args.ts';
import { parseScaleOptions, type ScaleOptions } from '../../../bench/src/scale-args.ts';

/** bench/run --scale-test's command line: a bad flag is one line and exit 2, never a silent default. */
function parsed(argv: string[]): ScaleOptions {
  const o = parseScaleOptions(argv);
  if (o === 'help') throw new Error('unexpected help');
  return o;
}

function refusal(argv: string[]): string {
  try {
    parseScaleOptions(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('bench/run --scale-test options', () => {
  it('defaults to the full size: 10,000 users, 10 million events, a big user of 10,000 streams × 1 million events', () => {
    const o = parsed(['--scale-test']);
    expect([o.users, o.events, o.bigUserStreams, o.bigUserEvents, o.batchSize]).toEqual([10_000, 10_000_000, 10_000, 1_000_000, 1000]);
    expect(o.only).toBeNull();
  });

  it('takes the sizes as flags, with _ separators and exponents', () => {
    const o = parsed(['--scale-test', '--users', '1_000', '--events', '1e6', '--big-user-streams', '10000', '--big-user-events=100000', '--only', 'events\\.get']);
    expect([o.users, o.events, o.bigUserStreams, o.bigUserEvents]).toEqual([1000, 1_000_000, 10_000, 100_000]);
    expect(o.only?.test('events.get-none-personal')).toBe(true);
  });

  it.each([
    [['--users', 'ten'], '--users: expected a whole number'],
    [['--users', '1'], '--users: expected a whole number from 2'],
    [['--events=-5'], '--events: expected a whole number'],
    [['--events', '-5'], "Option '--events' argument is ambiguous"],
    [['--events', '1.5'], '--events: expected a whole number'],
    [['--events', ''], '--events: expected a whole number'],
    [['--big-user-streams', '10'], '--big-user-streams: expected a whole number from 70'],
    [['--batch-size', '1001'], '--batch-size: expected a whole number from 1 to 1,000'],
    [['--threads', '4', '--connections', '2'], '--threads must be ≤ --connections'],
    [['--only', '('], '--only:'],
    [['--user', '5'], "Unknown option '--user'"],
    [['--users'], "Option '--users <value>' argument missing"],
    [['stray'], 'unexpected argument "stray"'],
  ])('refuses %j with one line', (argv, message) => {
    const m = refusal(['--scale-test', ...argv]);
    expect(m).toContain(message);
    expect(m).not.toContain('\n');
  });

  it('answers help for --help', () => {
    expect(parseScaleOptions(['--scale-test', '--help'])).toBe('help');
  });
});
