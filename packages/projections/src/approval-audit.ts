/**
 * Manager approvals (issue 16) travel in the ticket; the projection copies each one into
 * the audit log, once: a replay, a re-projection after a verdict change and a rebuild
 * (which deletes ticket rows but never audit rows) find the row already there by its key
 * (ticket, action, staff member, time) and add nothing.
 */
import { sql } from 'drizzle-orm'
import { ticketDocName, type Approval } from '@tally/schema'
import { recordset, type Executor } from './sql-util.ts'

export const APPROVAL_AUDIT_KIND = 'approval'

export interface ApprovedTicket {
  store: string
  id: string
  terminalId: string
  refundOf: string | null
  total: number
  approvals: readonly Approval[]
}

export const approvalKey = (ticketId: string, a: Approval): string => `${ticketId}:${a.action}:${a.staffId}:${a.at}`

export async function auditApprovals(ex: Executor, tickets: readonly ApprovedTicket[]): Promise<void> {
  const rows = tickets.flatMap((t) =>
    t.approvals.map((a) => ({
      store: t.store,
      actor: `staff:${a.staffId}`,
      code: a.action,
      doc: ticketDocName(t.store, t.id),
      detail: {
        key: approvalKey(t.id, a),
        ticketId: t.id,
        terminalId: t.terminalId,
        ticketKind: t.refundOf === null ? 'sale' : 'refund',
        refundOf: t.refundOf,
        total: t.total,
        action: a.action,
        staffId: a.staffId,
        staffName: a.staffName,
        approvedAt: new Date(a.at).toISOString(),
        detail: a.detail,
      },
    })),
  )
  if (rows.length === 0) return
  await ex.execute(sql`INSERT INTO audit (store, actor, kind, code, doc, detail)
    SELECT x.store, x.actor, ${APPROVAL_AUDIT_KIND}, x.code, x.doc, x.detail FROM ${recordset(rows, { store: 'text', actor: 'text', code: 'text', doc: 'text', detail: 'jsonb' })}
    WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.doc = x.doc AND a.kind = ${APPROVAL_AUDIT_KIND} AND a.detail->>'key' = x.detail->>'key')`)
}
