/** Database helpers for this package's tests (not exported from the package). */
import * as Y from 'yjs'
import { asc } from 'drizzle-orm'
import { tables, type Database, type UpdateLog } from '@tally/schema/db'

/** Append a document's full state as one log row. */
export async function appendDoc(log: UpdateLog, doc: string, store: string, d: Y.Doc, actor: string, sv?: Uint8Array): Promise<number> {
  const [r] = await log.append([{ doc, store, updateId: null, bytes: Y.encodeStateAsUpdate(d, sv), actor }])
  return r?.seq ?? 0
}

/** Every projected row, in a stable order, without columns that record when or in which batch. */
export async function projectedRows(database: Database): Promise<Record<string, unknown[]>> {
  const { db } = database
  const strip = <T extends Record<string, unknown>>(rows: T[], drop: string[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))))
  return {
    tickets: strip(await db.select().from(tables.tickets).orderBy(asc(tables.tickets.id)), ['seq', 'projectedAt']),
    ticketLines: await db.select().from(tables.ticketLines).orderBy(asc(tables.ticketLines.ticketId), asc(tables.ticketLines.lineId)),
    visitConsumption: await db
      .select()
      .from(tables.visitConsumption)
      .orderBy(asc(tables.visitConsumption.visitId), asc(tables.visitConsumption.ticketId)),
    carts: strip(await db.select().from(tables.carts).orderBy(asc(tables.carts.id)), ['updatedAt']),
    stockMovements: await db.select().from(tables.stockMovements).orderBy(asc(tables.stockMovements.ticketId), asc(tables.stockMovements.lineId)),
    stockLevels: strip(await db.select().from(tables.stockLevels).orderBy(asc(tables.stockLevels.store), asc(tables.stockLevels.productId)), ['updatedAt']),
    conflicts: strip(await db.select().from(tables.conflicts).orderBy(asc(tables.conflicts.key)), ['id', 'createdAt', 'resolvedAt']),
    visits: (await db.select({ id: tables.visits.id, consumed: tables.visits.consumed }).from(tables.visits).orderBy(asc(tables.visits.id))) as unknown[],
  }
}
