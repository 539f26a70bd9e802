/**
 * Documents that cannot be projected. When the database refuses a document's rows (a
 * value past a column's range that validation missed, a constraint, a bug in a fold),
 * that document is set aside, never a reason to stop the others: the worker isolates it
 * (worker.ts), and here it is recorded in the same transaction that moves the checkpoint
 * past it:
 *
 * - a conflict row of kind `unprojectable` for its store (key `unprojectable:{doc}`),
 *   with the error and what the document says, so it shows in the back office queue;
 * - for a ticket, a refused verdict (`unprojectable`) in its `server` root, so the
 *   terminal stops waiting and says why, and a refused ticket row (what of the sale is
 *   plainly storable, no lines) so the back office and `/sales/sync/status` show it; a
 *   row projected from an earlier state is refused and its stock movements are taken
 *   back, because the sale as it now stands is not counted.
 *
 * The projection owns these rows: the next update of the document folds it again (a
 * person fixed it, or a rebuild after a fix), and when that projects, the row goes.
 * Errors that say nothing about the document (connection lost, serialisation failure,
 * disk full, our own SQL wrong) are never a quarantine: the batch is retried whole.
 */
import { sql } from 'drizzle-orm'
import { MAX_CENTS, isIntIn, isStorableText, isStorableTime, parseDocName, readRawSale, readVerdict, writeVerdict } from '@tally/schema'
import type { Database, Tx } from '@tally/schema/db'
import type { CachedDoc } from './doc-store.ts'
import { appendUpdates, captureChange, PROJECTION_ACTOR, type DocWriter, type PendingAppend } from './doc-writer.ts'
import { publishLevels } from './project-batch.ts'
import { query, textArray, type Executor } from './sql-util.ts'
import { oversoldConflicts, recomputeLevels } from './stock-sql.ts'
import { upsertConflicts } from './conflicts-sql.ts'
import type { StrategySource } from './strategies.ts'
import { ReasonCode } from './validate-ticket.ts'
import { productKey, type ProductKey } from './write-rows.ts'

export const UNPROJECTABLE = 'unprojectable'
export const quarantineKey = (doc: string): string => `${UNPROJECTABLE}:${doc}`

/**
 * SQLSTATE classes that are about the server or our code, not the data: 08 connection,
 * 25 transaction state, 40 rollback (serialisation, deadlock), 42 syntax or access (a
 * missing migration), 53 resources, 54 limits, 55 object state (lock not available),
 * 57 operator (shutdown, cancel), 58 system, XX internal.
 */
const NOT_THE_DOCUMENT = new Set(['08', '25', '40', '42', '53', '54', '55', '57', '58', 'XX'])
/** Driver-side codes of a connection that went away (postgres, node). */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
])

interface ErrorFacts {
  sqlstate: string | null
  code: string | null
  message: string
  detail?: string
  table?: string
  column?: string
  constraint?: string
}

/** The innermost error with a code (drizzle wraps the driver's error as `cause`). */
function facts(e: unknown): ErrorFacts {
  let cur: unknown = e
  let best: ErrorFacts = { sqlstate: null, code: null, message: e instanceof Error ? e.message : String(e) }
  for (let depth = 0; cur && depth < 5; depth++) {
    const o = cur as { code?: unknown; message?: unknown; detail?: unknown; table?: unknown; column?: unknown; constraint?: unknown; table_name?: unknown; column_name?: unknown; constraint_name?: unknown; cause?: unknown }
    if (typeof o.code === 'string') {
      const sqlstate = /^[0-9A-Z]{5}$/.test(o.code) ? o.code : null
      const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
      best = {
        sqlstate,
        code: o.code,
        message: typeof o.message === 'string' ? o.message : best.message,
        ...pick({ detail: str(o.detail), table: str(o.table) ?? str(o.table_name), column: str(o.column) ?? str(o.column_name), constraint: str(o.constraint) ?? str(o.constraint_name) }),
      }
    }
    cur = o.cause
  }
  return best
}
function pick(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined))
}

/** True when the error is the document's own (its data), so isolating it helps. */
export function isDocumentError(e: unknown): boolean {
  const f = facts(e)
  if (f.sqlstate !== null) return !NOT_THE_DOCUMENT.has(f.sqlstate.slice(0, 2))
  if (f.code !== null && CONNECTION_CODES.has(f.code)) return false
  // PGlite closed under us, or a driver that lost its connection without a code.
  if (/\b(PGlite is closed|connection (terminated|closed|ended))\b/i.test(f.message)) return false
  return true
}

/** Text a jsonb column stores, at most `max` characters. */
function clean(s: string, max: number): string {
  const safe = isStorableText(s) ? s : s.replace(/\u0000/g, '\u2400').replace(/[\uD800-\uDFFF]/g, '\uFFFD')
  return safe.length > max ? `${safe.slice(0, max)}…` : safe
}
/**
 * A copy of a value fit for jsonb, bounded in size. JSON.stringify writes NUL and lone
 * surrogates as escapes, in keys as well as values; jsonb refuses both, so they are
 * rewritten in the text (to U+2400 and U+FFFD) before it is parsed back.
 */
function storableCopy(v: unknown, budget = 4000): unknown {
  let json: string
  try {
    json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > 500 ? `${x.slice(0, 500)}…` : x)) ?? 'null'
  } catch {
    return null
  }
  json = json.replace(/\\u0000/g, '\\u2400').replace(/\\ud[89a-f][0-9a-f]{2}/gi, '\\ufffd')
  return json.length <= budget ? (JSON.parse(json) as unknown) : { truncated: clean(json, budget) }
}

/** The columns of a ticket row, from a raw sale, each only if its column surely takes it. */
function fallbackRow(raw: unknown): { terminalId: string; cashier: string; clientTime: string; total: number; paymentMethod: string } {
  const r = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const payment = (r.payment !== null && typeof r.payment === 'object' ? r.payment : {}) as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 100 && isStorableText(v) ? v : '')
  return {
    terminalId: text(r.terminalId),
    cashier: text(r.cashier),
    clientTime: typeof r.clientTime === 'string' && isStorableTime(r.clientTime) ? new Date(r.clientTime).toISOString() : new Date().toISOString(),
    total: isIntIn(r.total, -MAX_CENTS, MAX_CENTS) ? r.total : 0,
    paymentMethod: payment.method === 'cash' || payment.method === 'card' || payment.method === 'visit' ? payment.method : '',
  }
}

export interface Unprojectable {
  doc: string
  error: unknown
}

export interface QuarantineDeps {
  database: Database
  writer: DocWriter
  origin: string
  strategies: StrategySource
  /** Rebuild: stock levels are recomputed once at the end. */
  deferStock?: boolean | undefined
}

/**
 * The sentence a person reads (the terminal shows it as the refusal reason). The
 * database's own words stay in the conflict's evidence, which only the store's admins
 * see: table and constraint names are nothing a till needs to be told.
 */
export function quarantineMessage(kind: string): string {
  const what = kind === 'ticket' ? 'This sale' : kind === 'visit' ? 'This visit' : 'This tab'
  return `${what} could not be stored by the server and is set aside for a manager to check in the back office; it does not count until it is corrected. Nothing else is held up.`
}

/**
 * Record the quarantine of documents whose rows could not be written, inside the
 * batch's transaction. `load` gives each document as the log has it (fresh, not a copy a
 * failed attempt touched). Returns the log seqs of the verdicts it appended.
 */
export async function quarantine(
  deps: QuarantineDeps,
  ex: Tx,
  items: readonly Unprojectable[],
  load: (names: string[]) => Promise<ReadonlyMap<string, CachedDoc>>,
  opts: { recordOnly?: boolean } = {},
): Promise<number[]> {
  if (items.length === 0) return []
  // One at a time: a document whose very bytes cannot be applied is recorded without them.
  const docs = new Map<string, CachedDoc>()
  for (const { doc } of items) {
    const one = await load([doc]).catch(() => null)
    const cached = one?.get(doc)
    if (cached) docs.set(doc, cached)
  }
  const now = new Date().toISOString()
  const appends: PendingAppend[] = []
  const conflicts: Array<Record<string, unknown>> = []
  const touched = new Set<ProductKey>()
  for (const { doc: name, error } of items) {
    const p = parseDocName(name)
    if (!p.ok) continue
    const { storeId: store, kind, id } = p.value
    const cached = docs.get(name)
    const seq = cached?.seq ?? 0
    const f = facts(error)
    const message = quarantineMessage(kind)
    // Every root of these kinds is a map.
    const says = cached ? (kind === 'ticket' ? { sale: readRawSale(cached.doc) } : Object.fromEntries([...cached.doc.share.keys()].map((k) => [k, cached.doc.getMap(k).toJSON()]))) : null
    conflicts.push({
      key: quarantineKey(name),
      store,
      kind: UNPROJECTABLE,
      docs: [name],
      evidence: {
        doc: name,
        seq,
        terminal: opts.recordOnly ? null : storableCopy(says),
        server: { error: clean(f.message, 1000), sqlstate: f.sqlstate, ...Object.fromEntries(Object.entries(pick({ detail: f.detail, table: f.table, column: f.column, constraint: f.constraint })).map(([k, v]) => [k, clean(v, 500)])) },
        reason: message,
      },
    })
    if (opts.recordOnly || kind !== 'ticket' || id === undefined || !cached) continue
    const reasons = [{ code: ReasonCode.unprojectable, message }]
    // The ticket stays visible as a refused row (like a malformed sale): a row from an
    // earlier state of it is refused and gives its stock back; a new one gets a row of
    // whatever of the sale is plainly storable, and no lines.
    // The sale's own values may be what the table refuses: then a row with none of them.
    for (const r of [fallbackRow(readRawSale(cached.doc)), fallbackRow(null)]) {
      const written = await ex
        .transaction(async (sp) => {
          await sp.execute(sql`INSERT INTO tickets (id, store, terminal_id, cashier, client_time, total, payment_method, status, reasons, seq)
            VALUES (${id}, ${store}, ${r.terminalId}, ${r.cashier}, ${r.clientTime}::timestamptz, ${r.total}, ${r.paymentMethod}, 'refused', ${JSON.stringify(reasons)}::jsonb, ${seq})
            ON CONFLICT (id) DO UPDATE SET status = 'refused', reasons = excluded.reasons, seq = excluded.seq, projected_at = now()`)
          return true
        })
        .catch((e: unknown) => {
          if (isDocumentError(e)) return false
          throw e
        })
      if (written) break
    }
    const gone = await query<{ store: string; product_id: string }>(ex, sql`DELETE FROM stock_movements WHERE ticket_id = ${id} AND store = ${store} RETURNING store, product_id`)
    for (const g of gone) touched.add(productKey(g.store, g.product_id))
    const current = readVerdict(cached.doc)
    if (current?.status === 'refused' && JSON.stringify(current.reasons) === JSON.stringify(reasons)) continue
    const bytes = captureChange(cached.doc, (d) => writeVerdict(d, { status: 'refused', reasons, seq, at: now }))
    if (bytes) appends.push({ doc: name, store, bytes })
  }
  await ex.execute(sql`INSERT INTO conflicts (key, store, kind, docs, evidence, status, strategy)
    SELECT x.key, x.store, x.kind, x.docs, x.evidence, 'open', 'manual'
    FROM jsonb_to_recordset(${JSON.stringify(conflicts)}::jsonb) AS x(key text, store text, kind text, docs jsonb, evidence jsonb)
    ON CONFLICT (key) DO UPDATE SET docs = excluded.docs, evidence = excluded.evidence, status = 'open', strategy = 'manual',
      resolution = NULL, resolved_by = NULL, resolved_at = NULL`)
  if (touched.size > 0 && !deps.deferStock) {
    const changes = await recomputeLevels(ex, touched)
    await upsertConflicts(ex, (await oversoldConflicts(ex, touched, deps.strategies)).rows)
    const tracked = await query<{ store: string; id: string; track_stock: boolean }>(
      ex,
      sql`SELECT store, id, track_stock FROM products WHERE id = ANY(${textArray(changes.map((c) => c.productId))})`,
    )
    await publishLevels(deps.writer, ex, changes, new Map(tracked.map((t) => [productKey(t.store, t.id), t.track_stock])))
  }
  return appendUpdates(ex, deps.database.schema, appends, PROJECTION_ACTOR, deps.origin)
}

/** Documents that projected: whatever quarantine they were in is over. */
export async function release(ex: Executor, names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  await ex.execute(sql`DELETE FROM conflicts WHERE kind = ${UNPROJECTABLE} AND key = ANY(${textArray(names.map(quarantineKey))})`)
}
