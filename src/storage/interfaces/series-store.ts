/**
 * High-frequency series points (Pryv API §5), kept per holder event. A point is stored as the JSON
 * text of its flatJSON row in the holder's field order, `[deltaTime,v1,v2,…]`, so reads can write
 * stored text straight into the answer.
 */
/**
 * The holder facts a caller checked access with. An engine that `checksHolders` applies a write or
 * answers a read only while the stored holder still has them (and is not trashed), else throws
 * StaleHolderError having done nothing: callers may then keep holders in memory between requests.
 */
export interface HolderFacts {
  type: string;
  time: number;
  streamIds: readonly string[];
}

export interface SeriesWrite {
  eventId: string;
  holder?: HolderFacts;
  /** Ascending and distinct. */
  deltaTimes: number[];
  /** `rows[i]` = JSON text of the point at `deltaTimes[i]` (its first element is that deltaTime). */
  rows: string[];
}

export interface SeriesRange {
  /** Inclusive; null = from the first point. */
  from: number | null;
  /** Exclusive; null = unbounded. */
  to: number | null;
  /** More points than this in the range → TooManyItemsError before the first piece; null = no limit. */
  maxPoints?: number | null;
  /** See HolderFacts: checked before the first piece when the engine `checksHolders`. */
  holder?: HolderFacts;
}

export interface SeriesStore {
  /** True when `holder` facts are checked (PostgreSQL); engines without it ignore them (MongoDB). */
  readonly checksHolders?: boolean;
  /**
   * Writes every entry in one transaction: all of them or none. A point at a deltaTime the series
   * already holds replaces it. Concurrent writers to one series are serialised by the engine.
   */
  write(userId: string, entries: SeriesWrite[]): Promise<void>;
  /**
   * The points in `range`, ascending, as pieces of JSON text: each piece is one or more comma-joined
   * rows (`[0,1.5],[1,1.6]`), never empty, so the pieces joined with `,` form the `points` array body.
   */
  read(userId: string, eventId: string, range: SeriesRange): AsyncIterable<string>;
  /** The largest stored deltaTime of a series; null when it holds no point. */
  maxDeltaTime(userId: string, eventId: string): Promise<number | null>;
}
