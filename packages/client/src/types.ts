/**
 * The public shape of the sync client. apps/web codes against these types; keep them
 * stable and add rather than change.
 */
import type * as Y from 'yjs'

export const Status = {
  connecting: 'connecting',
  online: 'online',
  offline: 'offline',
  authRequired: 'auth-required',
} as const
export type Status = (typeof Status)[keyof typeof Status]

/**
 * The little of a WebSocket the client uses; the DOM global and `ws` both fit. Handler
 * parameters are `never` so each library's own event types are accepted; the client
 * reads only `data` (message) and `code` (close).
 */
export interface SocketLike {
  binaryType: string
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((ev: never) => unknown) | null
  onmessage: ((ev: never) => unknown) | null
  onclose: ((ev: never) => unknown) | null
  onerror: ((ev: never) => unknown) | null
}
export type WebSocketConstructor = new (url: string) => SocketLike

export interface SyncClientOptions {
  /** ws(s)://host:port; the client appends `/mux?token=...`. */
  url: string
  token: string
  /** Defaults to globalThis.WebSocket (pass `ws` in Node). */
  WebSocket?: WebSocketConstructor
  /** Where documents and the outbox live. Default 'indexeddb'. */
  persistence?: 'indexeddb' | 'memory'
  /** Jittered exponential reconnect delay. Default 500..30000 ms. */
  backoff?: { minMs?: number; maxMs?: number }
  /**
   * A local edit larger than this is refused on the device (code too_large) instead of
   * being sent: the relay would close the socket on it at every reconnect. Default 1 MiB,
   * the relay's default limit.
   */
  maxMessageBytes?: number
  /**
   * With edits pending, a socket that brings no frame for this long is presumed dead
   * (a half-open TCP connection looks "online" forever) and replaced. Default 30000 ms.
   */
  ackTimeoutMs?: number
  /**
   * Heartbeat interval. Each interval in which the relay said nothing, the client sends a
   * one-byte ping that the relay answers; a socket that brings nothing for two intervals
   * (or does not open in that time) is closed and replaced, so a silently dead
   * connection leaves 'online' within three intervals. Default 10000 ms; 0 turns it off.
   */
  heartbeatMs?: number
  /**
   * Further relays to fail over to, in order (the store hub's terminal goes to central),
   * each with its own token. See connection.ts for when it moves and moves back.
   */
  fallbacks?: readonly RelayEndpoint[]
  /** Failed connects in a row before moving to the next relay. Default 2. */
  switchAfterFailures?: number
  /** While on a fallback, how often the first relay is probed. Default 15000 ms. */
  probeMs?: number
}

/** A relay and the terminal's token there. */
export interface RelayEndpoint {
  readonly url: string
  readonly token: string
}

/** What the terminal app reports about itself; the relay shows it in the back office. */
export interface StatusReport {
  /** Sales on this device not yet safe on the server (the app's own count, not changes). */
  pendingSales: number
}

/** An outbox entry (or a whole document, updateId '') the relay refused. */
export interface Refusal {
  doc: string
  updateId: string
  code: string
  reason: string
}

export interface AckEvent {
  doc: string
  updateId: string
  seq: number
}

export interface SyncClientEvents {
  status: (status: Status) => void
  /** Total pending count after a change, and the document that changed. */
  pending: (total: number, doc: string) => void
  ack: (ack: AckEvent) => void
  refused: (refusal: Refusal) => void
  synced: (doc: string) => void
  /** The "safe at HQ" count changed (behind a store hub), with unsafeAtHq() after it. */
  hq: (unsafeAtHq: number) => void
  'auth-required': () => void
  /** The relay in use changed: index 0 is the preferred one. */
  endpoint: (index: number, url: string) => void
}
export type SyncClientEvent = keyof SyncClientEvents

export interface SyncClient {
  /** Load from IndexedDB, subscribe; refcounted. Rejects for a malformed name. */
  open(docName: string): Promise<Y.Doc>
  /** Unsubscribe when the refcount hits 0 (and, if edits are pending, once they are durable). */
  release(docName: string): void
  /** Delete local data; rejects while pending(docName) > 0. */
  drop(docName: string): Promise<void>
  isDurable(docName: string): boolean
  /** Own edits not yet acknowledged as durable (refused ones excluded), per doc or total. */
  pending(docName?: string): number
  durableStateVector(docName: string): Uint8Array | undefined
  /** The store hub this client is connected through (its name), or null (central, or offline). */
  readonly hub: string | null
  /**
   * Own edits not yet known to be durable at central: pending ones plus those a store hub
   * acknowledged ("safe in the store") that central has not confirmed ("safe at HQ").
   */
  unsafeAtHq(): number
  refused(docName?: string): Refusal[]
  readonly status: Status
  /** Time (ms since epoch) of the last ack or subscribed answer. */
  readonly lastSyncAt: number | null
  /** Consecutive connects that failed (closed before the relay answered). */
  readonly failures: number
  /** Resolves once the outbox of every document known to have pending edits is loaded. */
  readonly ready: Promise<void>
  on<E extends SyncClientEvent>(event: E, fn: SyncClientEvents[E]): () => void
  /** Reconnect now if offline; resend the outbox if online. */
  syncNow(): void
  /**
   * The app's figures for the back office. Sent to the relay with the client's own
   * pending() count on every (re)connect and whenever either changes (at most once a
   * second). Throws RangeError unless pendingSales is a non-negative integer.
   */
  setStatusReport(report: StatusReport): void
  /** After re-pairing: reconnect with the new token and resend pending edits. */
  setToken(token: string): void
  /** After re-pairing with several relays: their tokens, the preferred first. */
  setEndpoints(endpoints: readonly RelayEndpoint[]): void
  /** The relay in use (index 0 is the preferred one). */
  readonly endpoint: { index: number; url: string }
  /** The preferred relay's address (the `url` option, or the first of setEndpoints). */
  readonly preferredUrl: string
  /** Resolves when the relay has answered this document's subscription on the current connection. */
  whenSynced(docName: string): Promise<void>
  /** Resolves when pending(docName) (or the total) reaches 0. */
  whenDurable(docName?: string): Promise<void>
  destroy(): Promise<void>
}
