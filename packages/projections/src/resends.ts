/**
 * REST resends: a client may send a sale's `local_id` again. An identical resend is the
 * same sale (already_synced); one with different content is kept beside the stored sale
 * in the ticket document's `server` root (`resend:{content}`), never dropped and never
 * overwriting it, and the projection raises a resend_changed conflict for a person.
 */
import type * as Y from 'yjs'
import { Root, type Sale } from '@tally/schema'
import { parseSale } from './parse-sale.ts'

export interface Resend {
  sale: Sale
  at: string
  by: string
}

/** What makes two versions of one uploaded sale the same: lines, total, payment, visit. */
export function uploadContent(s: Pick<Sale, 'lines' | 'total' | 'payment' | 'visitId'>): string {
  const lines = s.lines.map((l) => `${l.productId}:${l.qty}:${l.unitPrice}`).sort()
  return JSON.stringify([lines, s.total, s.payment.method, s.payment.amount, s.visitId])
}

export const resendKey = (s: Sale): string => `resend:${uploadContent(s)}`

export function readResends(doc: Y.Doc): Resend[] {
  const out: Resend[] = []
  for (const [k, v] of doc.getMap<unknown>(Root.server).entries()) {
    if (!k.startsWith('resend:') || v === null || typeof v !== 'object') continue
    const r = v as Record<string, unknown>
    const p = parseSale(r.sale)
    if (p.ok) out.push({ sale: p.value, at: typeof r.at === 'string' ? r.at : '', by: typeof r.by === 'string' ? r.by : '' })
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

/** Keep a differing resend in the ticket document (once per distinct content). */
export function writeResend(doc: Y.Doc, r: Resend): boolean {
  const m = doc.getMap<unknown>(Root.server)
  const key = resendKey(r.sale)
  if (m.has(key)) return false
  m.set(key, { sale: { ...r.sale }, at: r.at, by: r.by })
  return true
}
