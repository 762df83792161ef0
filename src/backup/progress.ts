import type { Logger } from '../logging/logger.js';

/**
 * What bin/backup and bin/restore tell the operator: one JSON log line per step when the output is
 * not a terminal (cron, the master's nightly run), a progress line redrawn in place on a terminal.
 */
export interface Progress {
  step(msg: string, data?: Record<string, unknown>): void;
  /** `done` of `total` items of the current step. */
  tick(done: number, total: number, detail: string): void;
  warn(msg: string, data?: Record<string, unknown>): void;
}

export const silentProgress: Progress = { step: () => undefined, tick: () => undefined, warn: () => undefined };

export function logProgress(logger: Logger): Progress {
  return {
    step: (msg, data = {}) => logger.info(data, msg),
    // Per-user lines would flood a log: every 10 % (and the last).
    tick: (done, total, detail) => {
      if (done === total || Math.floor((done * 10) / total) !== Math.floor(((done - 1) * 10) / total)) logger.info({ done, total, detail }, 'progress');
    },
    warn: (msg, data = {}) => logger.warn(data, msg),
  };
}

export function terminalProgress(out: NodeJS.WriteStream): Progress {
  let open = false;
  const close = (): void => {
    if (open) out.write('\n');
    open = false;
  };
  return {
    step: (msg, data) => {
      close();
      out.write(`${msg}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`);
    },
    tick: (done, total, detail) => {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${detail}`.padEnd(90));
      open = true;
      if (done === total) close();
    },
    warn: (msg, data) => {
      close();
      out.write(`warning: ${msg}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`);
    },
  };
}
