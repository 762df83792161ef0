import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../../src/logging/logger.js';

function memoryLogger(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, role: 'test', destination: { write: (s: string) => void lines.push(s) } });
  const records = (): Record<string, unknown>[] => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('createLogger', () => {
  it('writes JSON lines with role, pid, level and an ISO time', () => {
    const { logger, records } = memoryLogger();
    logger.info({ component: 'x' }, 'hello');
    const [rec] = records();
    expect(rec).toMatchObject({ role: 'test', pid: process.pid, component: 'x', msg: 'hello', level: 30 });
    expect(String(rec?.['time'])).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('respects the level', () => {
    const { logger, lines } = memoryLogger('warn');
    logger.info('dropped');
    logger.warn('kept');
    expect(lines).toHaveLength(1);
  });

  it('redacts secrets at the top level and one level down', () => {
    const { logger, lines, records } = memoryLogger();
    logger.info(
      {
        password: 'PW-TOP',
        token: 'TOK-TOP',
        auth: 'AUTH-TOP',
        user: { name: 'alice', password: 'PW-NESTED', newPassword: 'PW-NEW' },
        access: { token: 'TOK-NESTED', id: 'acc1' },
        body: { oldPassword: 'PW-OLD', resetToken: 'RESET' },
      },
      'login',
    );
    const text = lines.join('');
    for (const secret of ['PW-TOP', 'TOK-TOP', 'AUTH-TOP', 'PW-NESTED', 'PW-NEW', 'TOK-NESTED', 'PW-OLD', 'RESET']) {
      expect(text).not.toContain(secret);
    }
    const [rec] = records();
    expect(rec?.['password']).toBe('[redacted]');
    expect(rec?.['user']).toEqual({ name: 'alice', password: '[redacted]', newPassword: '[redacted]' });
    expect(rec?.['access']).toEqual({ token: '[redacted]', id: 'acc1' });
  });

  it('redacts the Authorization header and cookies', () => {
    const { logger, lines } = memoryLogger();
    logger.info({ headers: { authorization: 'Bearer HDR-SECRET', 'user-agent': 'ua' } }, 'a');
    logger.info({ req: { method: 'GET', url: '/x', headers: { authorization: 'REQ-SECRET', cookie: 'COOKIE-SECRET' } } }, 'b');
    const text = lines.join('');
    expect(text).not.toContain('HDR-SECRET');
    expect(text).not.toContain('REQ-SECRET');
    expect(text).not.toContain('COOKIE-SECRET');
    expect(text).toContain('"user-agent":"ua"');
  });

  it('strips ?auth= from logged request URLs', () => {
    const { logger, records } = memoryLogger();
    logger.info({ req: { id: 'r1', method: 'GET', url: '/alice/events?auth=ck1234&limit=2' } }, 'request');
    expect(records()[0]?.['req']).toEqual({ id: 'r1', method: 'GET', url: '/alice/events?auth=[redacted]&limit=2' });
  });

  it('child loggers keep the redaction', () => {
    const { logger, lines } = memoryLogger();
    logger.child({ component: 'storage:pg' }).warn({ password: 'CHILD-PW', cfg: { password: 'CHILD-PW2' } }, 'x');
    expect(lines.join('')).not.toMatch(/CHILD-PW/);
    expect(lines.join('')).toContain('"component":"storage:pg"');
  });
});

describe('redactUrl', () => {
  it.each([
    ['/a/events?auth=secret', '/a/events?auth=[redacted]'],
    ['/a/events?limit=1&auth=secret&x=2', '/a/events?limit=1&auth=[redacted]&x=2'],
    ['/a/events?AUTH=secret', '/a/events?AUTH=[redacted]'],
    ['/a/att/1?readToken=rt#frag', '/a/att/1?readToken=[redacted]#frag'],
    ['/reset?resetToken=r&password=p&token=t', '/reset?resetToken=[redacted]&password=[redacted]&token=[redacted]'],
    ['/a/events?auth=', '/a/events?auth=[redacted]'],
    ['/reg/access/AbCdEf0123456789', '/reg/access/[redacted]'],
    ['/access/AbCdEf0123456789?x=1', '/access/[redacted]?x=1'],
    ['/alice/accesses/abc', '/alice/accesses/abc'],
    ['/alice/access-info', '/alice/access-info'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('leaves other parameters and look-alike names alone', () => {
    expect(redactUrl('/a/events?author=bob&oauth=x&limit=3')).toBe('/a/events?author=bob&oauth=x&limit=3');
    expect(redactUrl('/a/auth=not-a-query')).toBe('/a/auth=not-a-query');
  });
});
