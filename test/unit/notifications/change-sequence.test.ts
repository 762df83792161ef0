import { describe, expect, it } from 'vitest';
import { ChangeSequence } from '../../../src/notifications/change-sequence.js';

describe('ChangeSequence (cross-clone change rows, issue #13)', () => {
  it('delivers each seq once, in any commit order: a skipped seq is a hole read again', () => {
    const s = new ChangeSequence(10_000);
    s.startAt(10);
    expect(s.readFrom(0)).toBe(10);
    // 13 committed before 11 and 12 (two clones inserting at once).
    expect(s.accept(13, 0)).toBe(true);
    expect(s.openHoles).toBe(2);
    expect(s.readFrom(0)).toBe(10);
    expect(s.accept(13, 0)).toBe(false);
    expect(s.accept(12, 0)).toBe(true);
    expect(s.accept(12, 0)).toBe(false);
    expect(s.readFrom(0)).toBe(10);
    expect(s.accept(11, 0)).toBe(true);
    expect(s.openHoles).toBe(0);
    expect(s.readFrom(0)).toBe(13);
    expect(s.accept(9, 0)).toBe(false);
  });

  it('gives up on a hole after holeMs (a rolled-back insert never shows up)', () => {
    const s = new ChangeSequence(1000);
    s.startAt(0);
    s.accept(3, 0);
    expect(s.readFrom(500)).toBe(0);
    expect(s.readFrom(1500)).toBe(3);
    expect(s.accept(1, 1500)).toBe(false);
  });

  it('keeps at most maxHoles holes (a jump of a million seqs is not a million holes)', () => {
    const s = new ChangeSequence(1000, 5);
    s.startAt(0);
    s.accept(1_000_000, 0);
    expect(s.openHoles).toBe(5);
    expect(s.position).toBe(1_000_000);
  });
});
