import type { Readable, Writable } from 'node:stream';

interface TtyIn extends Readable {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}

/**
 * One line from `input`: on a terminal without echo (the prompt on `output`, nothing typed is
 * shown), else the first line of what is piped in.
 */
export function readSecretLine(input: TtyIn, output: Writable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tty = input.isTTY === true && typeof input.setRawMode === 'function';
    if (tty) {
      output.write(prompt);
      input.setRawMode?.(true);
    }
    let text = '';
    const finish = (err: Error | null): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (tty) {
        input.setRawMode?.(false);
        output.write('\n');
      }
      input.pause();
      if (err === null) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\u0003' || ch === '\r' || ch === '\n') {
          finish(ch === '\u0003' ? new Error('interrupted') : null);
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    const onEnd = (): void => finish(null);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
