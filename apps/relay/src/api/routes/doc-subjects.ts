/**
 * What a document is, for people: a ticket's terminal, time and total, a visit's member,
 * a tab's label. The back office shows these instead of `store/ticket/uuid`. Only the
 * caller's store is read; a name that does not parse, or a document not projected yet,
 * still gets its kind and id so the screen can say "ticket …a1b2c3d4".
 */
import { and, eq, inArray } from 'drizzle-orm'
import { parseDocName } from '@tally/schema'
import { tables } from '@tally/schema/db'
import type { Executor } from '../context.ts'

export interface DocSubject {
  doc: string
  /** Document kind (`ticket`, `cart`, `visit`, `catalog`, `roster`), or null when the name does not parse. */
  kind: string | null
  id: string | null
  /** Ticket: as projected. */
  terminalId?: string
  clientTime?: string
  total?: number
  cashier?: string
  status?: string
  /** Visit: the member; cart: its label. */
  name?: string
  entryAt?: string
}

/** Subjects of many document names at once (three queries at most, whatever the count). */
export async function docSubjects(ex: Executor, store: string, docs: readonly string[]): Promise<Map<string, DocSubject>> {
  const out = new Map<string, DocSubject>()
  const ids = { ticket: [] as string[], visit: [] as string[], cart: [] as string[] }
  for (const doc of new Set(docs)) {
    const p = parseDocName(doc)
    if (!p.ok || p.value.storeId !== store) {
      out.set(doc, { doc, kind: null, id: null })
      continue
    }
    const { kind, id } = p.value
    out.set(doc, { doc, kind, id: id ?? null })
    if (id !== undefined && (kind === 'ticket' || kind === 'visit' || kind === 'cart')) ids[kind].push(id)
  }
  const byId = new Map<string, DocSubject>()
  for (const s of out.values()) if (s.id !== null) byId.set(`${s.kind}/${s.id}`, s)
  if (ids.ticket.length > 0) {
    const list = await ex
      .select({ id: tables.tickets.id, terminalId: tables.tickets.terminalId, clientTime: tables.tickets.clientTime, total: tables.tickets.total, cashier: tables.tickets.cashier, status: tables.tickets.status })
      .from(tables.tickets)
      .where(and(eq(tables.tickets.store, store), inArray(tables.tickets.id, ids.ticket)))
    for (const t of list) {
      const s = byId.get(`ticket/${t.id}`)
      if (s) Object.assign(s, { terminalId: t.terminalId, clientTime: t.clientTime.toISOString(), total: t.total, cashier: t.cashier, status: t.status })
    }
  }
  if (ids.visit.length > 0) {
    const list = await ex
      .select({ id: tables.visits.id, name: tables.partners.name, entryAt: tables.visits.entryAt })
      .from(tables.visits)
      .leftJoin(tables.partners, and(eq(tables.partners.store, tables.visits.store), eq(tables.partners.id, tables.visits.partnerId)))
      .where(and(eq(tables.visits.store, store), inArray(tables.visits.id, ids.visit)))
    for (const v of list) {
      const s = byId.get(`visit/${v.id}`)
      if (s) Object.assign(s, { entryAt: v.entryAt.toISOString(), ...(v.name !== null ? { name: v.name } : {}) })
    }
  }
  if (ids.cart.length > 0) {
    const list = await ex.select({ id: tables.carts.id, label: tables.carts.label }).from(tables.carts).where(and(eq(tables.carts.store, store), inArray(tables.carts.id, ids.cart)))
    for (const c of list) {
      const s = byId.get(`cart/${c.id}`)
      if (s && c.label !== '') s.name = c.label
    }
  }
  return out
}
