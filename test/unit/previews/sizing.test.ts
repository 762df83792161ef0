import { describe, expect, it } from 'vitest';
import { previewSize, snapUp } from '../../../src/previews/sizing.js';

describe('snapUp (Pryv API §7, §9 #26: smallest standard size ≥ the request)', () => {
  it.each([
    [1, 256],
    [256, 256],
    [257, 512],
    [512, 512],
    [700, 768],
    [769, 1024],
    [99_999, 1024],
  ])('%d → %d', (v, expected) => expect(snapUp(v)).toBe(expected));
});

describe('previewSize', () => {
  it.each<[string, [number, number], [number | null, number | null], [number, number]]>([
    ['no size: fits 256×256 (landscape)', [800, 600], [null, null], [256, 192]],
    ['no size: fits 256×256 (portrait)', [300, 500], [null, null], [154, 256]],
    ['no size: small images are enlarged to the box', [10, 10], [null, null], [256, 256]],
    ['width only', [800, 600], [300, null], [512, 384]],
    ['height only', [800, 600], [null, 300], [683, 512]],
    ['box wider than the image: width leads', [300, 500], [100, 100], [256, 427]],
    ['box taller than the image: height leads', [800, 600], [100, 400], [683, 512]],
    ['capped at 1024, ratio kept', [300, 500], [1024, null], [614, 1024]],
    ['very wide image', [4000, 10], [null, 1024], [1024, 3]],
  ])('%s', (_n, [w, h], [dw, dh], expected) => {
    expect(previewSize({ width: w, height: h }, { width: dw, height: dh })).toEqual({ width: expected[0], height: expected[1] });
  });
});
