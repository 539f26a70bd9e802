import type { Db } from './open.ts'
import { audit } from './tables.ts'

export interface AuditEntry {
  store?: string | null | undefined
  actor?: string | null | undefined
  kind: string
  code?: string | null | undefined
  doc?: string | null | undefined
  detail?: Record<string, unknown> | undefined
}

export async function writeAudit(db: Db, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? (entries as readonly AuditEntry[]) : [entries as AuditEntry]
  if (list.length === 0) return
  await db.insert(audit).values(
    list.map((e) => ({
      store: e.store ?? null,
      actor: e.actor ?? null,
      kind: e.kind,
      code: e.code ?? null,
      doc: e.doc ?? null,
      detail: e.detail ?? null,
    })),
  )
}
