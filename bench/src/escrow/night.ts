/**
 * One simulated night of a bar with scarce products: 8 terminals, 3 scarce products,
 * customers arriving minute by minute (more at some terminals than others), and offline
 * spells per terminal (20-90 minutes, 0-2 a night). Terminals run the real terminal-side
 * allowance code (AllowanceBook, the same `gate` the checkout calls) over their own
 * catalog document, and ask the real grant transaction (createAllowanceService) on a real
 * database; sales reach the server when the terminal is online (offline ones at
 * reconnection), as stock movements with `used` counted as the projection counts it.
 *
 * Allowances off: a bartender sells while the stock shown (last published level minus
 * own unsynced sales, POS15) is above zero: today's behaviour. On: within the allowance;
 * past it the policy asks a manager (counted, declined here, so what is measured is how
 * often staff would be asked). An oversold conflict is a product whose level ends below 0.
 */
import * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { policyOf, uuidv7, writeAllowancePolicy, writeGrant, writeWanted, type CartLine, type EscrowSettings } from '@tally/schema'
import { query, type Database } from '@tally/schema/db'
import { createDocWriter } from '@tally/projections'
import { createAllowanceService, type SoldReport } from '../../../apps/relay/src/api/allowance-grants.ts'
import { AllowanceBook } from '../../../apps/web/src/pos/allowance.ts'
import { createLocalStore } from '../../../apps/web/src/pos/local-store.ts'
import { MemoryStorage } from '../../../apps/web/src/pos/pos-testing.ts'
import { createRng } from '../../../tests/night/prng.ts'

export interface NightOptions {
  store: string
  products: ReadonlyArray<{ id: string; stock: number }>
  terminals: number
  minutes: number
  /** Expected demand as a share of the stock (1 = customers want about all of it). */
  demand: number
  allowances: boolean
  rule: EscrowSettings['rule']
  reservePct: number
  seed: number
  /** Online and no sale for this many minutes: release down to `idleKeep` per product (0: never). */
  idleMinutes: number
  idleKeep: number
  /** An online terminal that runs short asks quiet online terminals to give back (allowanceWanted). */
  wanted: boolean
}

export interface NightResult {
  seed: number
  allowances: boolean
  attempts: number
  sold: number
  /** Sales past an allowance, where a manager would be asked. */
  approvalAsks: number
  /** Products whose level ended below zero (one oversold conflict each). */
  oversoldConflicts: number
  oversoldUnits: number
  /** Attempts refused while units of the product were still on the shelf somewhere. */
  refusedWithStock: number
  /** Approval asks while the shelf still had the product (a manager has a real decision). */
  asksWithStock: number
  /** Of those, made while the terminal was online (shares held elsewhere). */
  asksWithStockOnline: number
  grantRequests: number
  offlineMinutes: number
}

interface Term {
  id: string
  weight: number
  spells: Array<[number, number]>
  catalog: Y.Doc
  book: AllowanceBook
  unsynced: Array<{ productId: string; grantId: string | null; qty: number; at: Date }>
  /** Allowances off: the level last published to it, per product. */
  known: Map<string, number>
  own: Map<string, number>
}

export async function runNight(database: Database, o: NightOptions): Promise<NightResult> {
  const rng = createRng(o.seed)
  const rnd = (): number => rng.next()
  const settings: EscrowSettings = {
    enabled: o.allowances,
    scarce: o.products.map((p) => ({ productId: p.id })),
    rule: o.rule,
    reservePct: o.reservePct,
    onExceeded: 'approval',
  }
  const writer = createDocWriter(database)
  let chain: Promise<unknown> = Promise.resolve()
  const service = createAllowanceService({
    database,
    settings: () => Promise.resolve(settings),
    writer: (fn) => {
      const next = chain.then(() => fn(writer))
      chain = next.catch(() => writer.invalidate())
      return next
    },
  })
  const { db } = database
  await db.execute(sql`DELETE FROM stock_allowances WHERE store = ${o.store}`)
  await db.execute(sql`DELETE FROM stock_movements WHERE store = ${o.store}`)
  await db.execute(sql`DELETE FROM tickets WHERE store = ${o.store}`)
  await db.execute(sql`DELETE FROM stock_adjustments WHERE store = ${o.store}`)
  for (const p of o.products) {
    await db.execute(sql`INSERT INTO stock_adjustments (id, store, product_id, kind, delta, by) VALUES (${uuidv7()}, ${o.store}, ${p.id}, 'opening', ${p.stock}, 'bench')`)
  }
  const level = async (productId: string): Promise<number> => {
    const [r] = await query<{ n: unknown }>(
      db,
      sql`SELECT (SELECT coalesce(sum(delta), 0) FROM stock_adjustments WHERE store = ${o.store} AND product_id = ${productId})
           - (SELECT coalesce(sum(qty), 0) FROM stock_movements WHERE store = ${o.store} AND product_id = ${productId}) AS n`,
    )
    return Number(r?.n ?? 0)
  }

  const terms: Term[] = []
  for (let i = 0; i < o.terminals; i++) {
    const id = `bench-t${i}`
    await db.execute(sql`INSERT INTO terminals (store, terminal_id) VALUES (${o.store}, ${id}) ON CONFLICT (store, terminal_id) DO UPDATE SET last_seen = now()`)
    const spells: Array<[number, number]> = []
    const n = Math.floor(rnd() * 3)
    for (let s = 0; s < n; s++) {
      const start = Math.floor(rnd() * (o.minutes - 30))
      spells.push([start, start + 20 + Math.floor(rnd() * 70)])
    }
    const catalog = new Y.Doc()
    terms.push({
      id,
      // Busy and quiet terminals: the door bar sells four times the terrace.
      weight: 0.5 + rnd() * 1.5,
      spells,
      catalog,
      book: new AllowanceBook(() => catalog, id, createLocalStore(`bench.${id}`, new MemoryStorage())),
      unsynced: [],
      known: new Map(o.products.map((p) => [p.id, p.stock])),
      own: new Map(),
    })
  }
  const online = (t: Term, m: number): boolean => !t.spells.some(([a, b]) => m >= a && m < b)
  let grantRequests = 0
  // The terminal's own REST calls (AllowanceBook.release / answerWanted) go to the same service.
  for (const t of terms) {
    t.book.api = {
      async post(path, body) {
        const b = body as { sold?: SoldReport[]; keep?: number }
        const r = path === '/allowances/release' ? await service.release({ store: o.store, terminalId: t.id }, b.sold ?? [], b.keep) : await service.request({ store: o.store, terminalId: t.id }, { sold: b.sold ?? [] })
        for (const g of r.grants) writeGrant(t.catalog, g)
        return r
      },
    }
  }
  const ask = async (t: Term): Promise<string[]> => {
    grantRequests++
    const sold = o.products.flatMap((p) => {
      const g = t.book.left(p.id)?.grant
      return g ? [{ productId: p.id, grantId: g.grantId, sold: t.book.sold(g.grantId) }] : []
    })
    const r = await service.request({ store: o.store, terminalId: t.id }, { sold })
    // What the catalog document brings the terminal: the same writers the server uses.
    writeAllowancePolicy(t.catalog, policyOf(settings))
    for (const g of r.grants) writeGrant(t.catalog, g)
    return r.wanted ?? []
  }
  const sync = async (t: Term): Promise<void> => {
    for (const s of t.unsynced.splice(0)) {
      const ticketId = uuidv7()
      await db.execute(sql`INSERT INTO tickets (id, store, terminal_id, cashier, client_time, total, payment_method, status, reasons, seq)
        VALUES (${ticketId}, ${o.store}, ${t.id}, '', ${s.at.toISOString()}::timestamptz, 0, 'cash', 'accepted', '[]'::jsonb, 0)`)
      await db.execute(sql`INSERT INTO stock_movements (ticket_id, line_id, store, product_id, qty, at) VALUES (${ticketId}, 'l', ${o.store}, ${s.productId}, ${s.qty}, ${s.at.toISOString()}::timestamptz)`)
      if (s.grantId) {
        await db.execute(sql`UPDATE stock_allowances SET used = used + ${s.qty} WHERE store = ${o.store} AND product_id = ${s.productId} AND terminal_id = ${t.id} AND grant_id = ${s.grantId}`)
      }
    }
    for (const p of o.products) t.known.set(p.id, await level(p.id))
    t.own.clear()
  }

  if (o.allowances) for (const t of terms) await ask(t)
  const totalStock = o.products.reduce((n, p) => n + p.stock, 0)
  const totalWeight = terms.reduce((n, t) => n + t.weight, 0)
  // Expected sale attempts per terminal-minute, so the night's demand is `demand` × stock.
  const rate = (o.demand * totalStock) / (o.minutes * totalWeight)
  const res: NightResult = { seed: o.seed, allowances: o.allowances, attempts: 0, sold: 0, approvalAsks: 0, oversoldConflicts: 0, oversoldUnits: 0, refusedWithStock: 0, asksWithStock: 0, asksWithStockOnline: 0, grantRequests: 0, offlineMinutes: 0 }
  const wasOnline = new Map(terms.map((t) => [t.id, true]))
  const lastSale = new Map(terms.map((t) => [t.id, 0]))
  const release = async (t: Term): Promise<void> => {
    const sold = o.products.flatMap((p) => {
      const g = t.book.left(p.id)?.grant
      return g ? [{ productId: p.id, grantId: g.grantId, sold: t.book.sold(g.grantId) }] : []
    })
    const r = await service.release({ store: o.store, terminalId: t.id }, sold, o.idleKeep)
    for (const g of r.grants) writeGrant(t.catalog, g)
  }
  const start = Date.UTC(2026, 11, 1, 20, 0)
  for (let m = 0; m < o.minutes; m++) {
    for (const t of terms) {
      const on = online(t, m)
      if (!on) res.offlineMinutes++
      if (on && !wasOnline.get(t.id)) {
        await sync(t)
        if (o.allowances) await ask(t)
      }
      wasOnline.set(t.id, on)
      // Idle online for a while: give back all but `idleKeep` units of each share (terminal.ts: IDLE_KEEP).
      if (o.allowances && on && o.idleMinutes > 0 && m - (lastSale.get(t.id) ?? 0) >= o.idleMinutes && m % o.idleMinutes === 0) await release(t)
      // Attempts this minute (Poisson by inversion).
      let k = 0
      for (let p = Math.exp(-rate * t.weight), s = p, u = rnd(); u > s; k++) {
        p *= (rate * t.weight) / (k + 1)
        s += p
      }
      for (let a = 0; a < k; a++) {
        const product = o.products[Math.floor(rnd() * o.products.length)] as { id: string }
        res.attempts++
        const at = new Date(start + m * 60_000)
        let ok: boolean
        let grantId: string | null = null
        if (!o.allowances) {
          ok = (t.known.get(product.id) ?? 0) - (t.own.get(product.id) ?? 0) > 0
        } else {
          const line: CartLine = { lineId: uuidv7(), productId: product.id, name: product.id, unitPrice: 100, taxRate: 0, qty: 1 }
          const gate = await t.book.gate([line], () => {
            res.approvalAsks++
            return Promise.resolve(null)
          })
          ok = gate.ok
          grantId = gate.ok ? (gate.marks.get(line.lineId)?.grantId ?? null) : null
          if (!ok && on) {
            // Online and out of allowance: ask for more, then try once again.
            const wanted = await ask(t)
            if (o.wanted && wanted.length > 0) {
              // The catalog carries the request to the terminals online; those quiet for a
              // minute give back what they have not sold (terminal.ts does this on the catalog update).
              const at = new Date(start + m * 60_000).toISOString()
              for (const x of terms) {
                if (x === t || !online(x, m)) continue
                for (const productId of wanted) writeWanted(x.catalog, productId, { by: t.id, at })
                if (m - (lastSale.get(x.id) ?? 0) >= 1) await x.book.answerWanted()
              }
              await ask(t)
            }
            const again = await t.book.gate([line], () => Promise.resolve(null))
            if (again.ok) {
              res.approvalAsks--
              ok = true
              grantId = again.marks.get(line.lineId)?.grantId ?? null
            }
          }
        }
        if (ok) {
          lastSale.set(t.id, m)
          res.sold++
          t.own.set(product.id, (t.own.get(product.id) ?? 0) + 1)
          t.unsynced.push({ productId: product.id, grantId, qty: 1, at })
          if (on) await sync(t)
          if (on && o.allowances && t.book.low()) await ask(t)
        } else {
          let held = 0
          for (const x of terms) held += x.unsynced.filter((u) => u.productId === product.id).length
          if ((await level(product.id)) - held > 0) {
            res.refusedWithStock++
            if (o.allowances) {
              res.asksWithStock++
              if (on) res.asksWithStockOnline++
            }
          }
        }
      }
    }
  }
  for (const t of terms) await sync(t)
  for (const p of o.products) {
    const l = await level(p.id)
    if (l < 0) {
      res.oversoldConflicts++
      res.oversoldUnits += -l
    }
  }
  res.grantRequests = grantRequests
  return res
}
