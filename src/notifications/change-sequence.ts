/**
 * Which rows of the shared change table (clone_changes) a clone has delivered (issue #13). `seq`
 * comes from a sequence, handed out at INSERT time: two clones' inserts can commit out of order, so
 * a reader can see seq 11 before seq 10 is visible. A skipped number is kept as a hole and read
 * again until it shows up or `holeMs` passes (a rolled-back insert leaves a hole for good).
 */
export class ChangeSequence {
  private last = 0;
  private readonly holes = new Map<number, number>();

  constructor(
    private readonly holeMs = 10_000,
    private readonly maxHoles = 1000,
  ) {}

  /** Start after `seq` (the table's current end: what was written before this clone started is old news). */
  startAt(seq: number): void {
    this.last = seq;
    this.holes.clear();
  }

  get position(): number {
    return this.last;
  }

  /** Read the rows with a seq above this: the oldest open hole, else the last one seen. */
  readFrom(now = Date.now()): number {
    for (const [seq, at] of this.holes) if (now - at > this.holeMs) this.holes.delete(seq);
    let low = this.last;
    for (const seq of this.holes.keys()) low = Math.min(low, seq - 1);
    return low;
  }

  /** A row read back: true if it was not delivered yet (the caller delivers it). */
  accept(seq: number, now = Date.now()): boolean {
    if (seq <= this.last) return this.holes.delete(seq);
    for (let s = this.last + 1; s < seq && this.holes.size < this.maxHoles; s++) this.holes.set(s, now);
    this.last = seq;
    return true;
  }

  get openHoles(): number {
    return this.holes.size;
  }
}
