export { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_MESSAGE_BYTES, createSyncClient } from './sync-client.ts'
export { STATUS_MIN_INTERVAL_MS } from './status-report.ts'
export { Status } from './types.ts'
export type {
  AckEvent,
  Refusal,
  RelayEndpoint,
  SocketLike,
  StatusReport,
  SyncClient,
  SyncClientEvent,
  SyncClientEvents,
  SyncClientOptions,
  WebSocketConstructor,
} from './types.ts'
export { DEFAULT_BACKOFF, backoffDelay } from './backoff.ts'
export type { BackoffOptions } from './backoff.ts'
export { Outbox, MAX_MERGE_BYTES } from './outbox.ts'
export type { OutboxEntry } from './outbox.ts'
export { REGISTRY_DB } from './registry.ts'
export { DEFAULT_PROBE_MS, DEFAULT_SWITCH_AFTER_FAILURES } from './connection.ts'
