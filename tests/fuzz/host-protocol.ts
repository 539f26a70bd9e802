/** What the test asks the relay host process (relay-host.ts) over IPC, and its answers. */
export type HostRequest =
  | { op: 'log'; doc: string }
  | { op: 'relayDoc'; doc: string }
  | { op: 'audit'; afterId: number }
  | { op: 'auditMax' }
  | { op: 'tickets'; ids: string[] }
  | { op: 'progress' }
  | { op: 'close' }

export type HostReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

export interface LogRow {
  seq: number
  actor: string
  updateId: string | null
  /** base64 */
  bytes: string
}

export interface AuditRow {
  id: number
  store: string | null
  actor: string | null
  kind: string
  code: string | null
  doc: string | null
  detail: unknown
}
