import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Method = 'info' | 'error' | 'debug' | 'fatal' | 'warn' | 'trace' | 'silent';

/**
 * `request.log`, made into a pino child (the request id bound) only when something logs through it.
 * fastify makes that child for every request; most requests log nothing (issue #16's quiet request
 * log), and a pino child costs a few percent of a small request's CPU (issue #10). The lines, when
 * there are any, are the child's own: same bindings, same level, same redaction.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  private call(method: Method, args: unknown[]): void {
    (this.real[method] as (...a: unknown[]) => void)(...args);
  }

  info(...args: unknown[]): void {
    this.call('info', args);
  }

  error(...args: unknown[]): void {
    this.call('error', args);
  }

  debug(...args: unknown[]): void {
    this.call('debug', args);
  }

  fatal(...args: unknown[]): void {
    this.call('fatal', args);
  }

  warn(...args: unknown[]): void {
    this.call('warn', args);
  }

  trace(...args: unknown[]): void {
    this.call('trace', args);
  }

  silent(...args: unknown[]): void {
    this.call('silent', args);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** fastify's `childLoggerFactory`: request loggers made on first use. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options);
}
