/**
 * The log's change feed: how a process hears that other processes committed rows of
 * the documents it holds. The Postgres log stays the one durable truth: a missed feed
 * message must only cost a read, never data. Two implementations: Postgres NOTIFY
 * (log/pg-feed.ts, the default) and NATS (one subject per document).
 */

/** One committed log row, as announced to other processes. */
export interface LogChange {
  doc: string
  /**
   * The row's sequence. A feed that carries no bytes (NOTIFY) sends one change per
   * document per commit: `seq` and `upto` are the lowest and highest sequence of that
   * commit's rows of the document, and the listener reads the document's rows in that range.
   */
  seq: number
  /** Highest sequence of the range (NOTIFY); absent for one row. */
  upto?: number
  /** The row's update bytes when the feed carried them (NATS); absent for NOTIFY. */
  bytes?: Uint8Array
  /** update_log.origin of the writer (a relay's origin, 'projection:…', 'api:…'). */
  origin: string
}

export interface ChangeFeed {
  /** Optional: resolves once the feed hears changes (a caller loads documents after it). */
  readonly ready?: Promise<void>
  /** Start/stop hearing about these documents (idempotent, cheap, called on load/unload). */
  watch(docs: readonly string[]): void
  unwatch(docs: readonly string[]): void
  /** Changes of watched docs (possibly batched). */
  onChange(cb: (changes: readonly LogChange[]) => void): () => void
  /** The feed may have missed changes (listener/NATS reconnect): caller catches up all held docs from the log. */
  onGap(cb: () => void): () => void
  /** Announce own commits after they are durable (NATS publishes; the Postgres feed's NOTIFY is sent by the append itself, so no-op there). */
  announce(changes: readonly LogChange[]): void
  close(): Promise<void>
}
