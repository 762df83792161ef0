import { describe, expect, it } from 'vitest';
import { contentDisposition } from '../../../src/http/attachment-routes.js';
import { safeFileName, safeMimeType } from '../../../src/http/uploads.js';

describe('attachment metadata from clients', () => {
  it.each([
    ['image/png', 'image/png'],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
    ['text/html\r\nSet-Cookie: x=1', 'application/octet-stream'],
    ['not a type', 'application/octet-stream'],
    [undefined, 'application/octet-stream'],
  ])('Content-Type %j is kept as %j', (given, stored) => expect(safeMimeType(given)).toBe(stored));

  it('file names lose control characters only, and are never empty', () => {
    expect(safeFileName('a\u0000b\r\nc.txt')).toBe('abc.txt');
    expect(safeFileName('../../x.txt')).toBe('../../x.txt');
    expect(safeFileName('')).toBe('file');
    expect(safeFileName('x'.repeat(1000))).toHaveLength(255);
    // Cut between code points, never inside a surrogate pair (#16: PostgreSQL refuses a lone one).
    const cut = safeFileName(`${'x'.repeat(254)}😀😀`);
    expect(cut).toBe(`${'x'.repeat(254)}😀`);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut)).toBe(false);
  });

  it('Content-Disposition percent-encodes UTF-8 (RFC 8187)', () => {
    expect(contentDisposition("l'été (1)*.txt")).toBe("attachment; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29%2A.txt");
    expect(contentDisposition('a"b\r\n.txt')).toBe("attachment; filename*=UTF-8''a%22b%0D%0A.txt");
  });
});
