/**
 * The projection bench on one database: a backlog of tickets written straight into the
 * update log (as terminals' Yjs ticket documents, exactly what the relay appends), then
 * the time the projector needs to fold them all; and the lag from a ticket's commit to
 * its projection while many terminals sell at once with the projector following.
 */
import { performance } from 'node:perf_hooks'
import { and, count, eq } from 'drizzle-orm'
import type { AppendInput, Database } from '@tally/schema/db'
import * as Y from 'yjs'
import { withDeadline } from '../deadline.ts'
import type { ProjectionLib } from './lib.ts'
import { selfCpuMs } from '../proc.ts'
import { percentile } from '../stats.ts'
import { BENCH_STORE, type BenchProduct, makeTicketDoc, prng } from '../tickets.ts'

export interface ThroughputResult {
  readonly ok: boolean
  readonly error?: string
  readonly tickets: number
  readonly appendMs: number
  readonly projectMs: number
  readonly ticketsPerSec: number
  /** CPU time of this process (projector + database driver, + PGlite itself) while projecting. */
  readonly projectCpuMs: number
  /** Tickets per CPU second of this process: less sensitive to other load on the machine. */
  readonly ticketsPerCpuSec: number
  readonly projectedRows: number
}

export interface LagResult {
  readonly ok: boolean
  readonly error?: string
  readonly tickets: number
  readonly offeredPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** The demo catalog of the bench store, with opening stock high enough that nothing oversells. */
export async function seedStore(lib: ProjectionLib, database: Database): Promise<BenchProduct[]> {
  const { tables } = lib
  await lib.seedDemo(database, BENCH_STORE)
  const rows = await database.db.select().from(tables.products).where(eq(tables.products.store, BENCH_STORE))
  await database.db
    .insert(tables.stockAdjustments)
    .values(rows.map((p) => ({ id: `bench-opening-${p.id}`, store: BENCH_STORE, productId: p.id, kind: 'opening', delta: 10_000_000, by: 'bench' })))
    .onConflictDoNothing()
  return rows.filter((p) => p.active).map((p) => ({ id: p.id, name: p.name, price: p.price, taxRate: p.taxRate }))
}

function ticketInput(terminal: string, rand: () => number, products: readonly BenchProduct[]): AppendInput {
  const t = makeTicketDoc(terminal, rand, products)
  return { doc: t.name, store: BENCH_STORE, updateId: null, bytes: Y.encodeStateAsUpdate(t.doc), actor: `terminal:${terminal}` }
}

async function countTickets(lib: ProjectionLib, database: Database): Promise<number> {
  const { tables } = lib
  const [r] = await database.db.select({ n: count() }).from(tables.tickets).where(and(eq(tables.tickets.store, BENCH_STORE)))
  return Number(r?.n ?? 0)
}

export async function runThroughput(
  lib: ProjectionLib,
  database: Database,
  products: readonly BenchProduct[],
  opts: { tickets: number; terminals: number; seed: number; timeoutMs: number },
): Promise<ThroughputResult> {
  const log = lib.createUpdateLog(database, 'bench-terminals')
  const rand = prng(opts.seed)
  const before = await countTickets(lib, database)
  const inputs = Array.from({ length: opts.tickets }, (_, i) => ticketInput(`t${i % opts.terminals}`, rand, products))
  const a0 = performance.now()
  for (let i = 0; i < inputs.length; i += 500) await log.append(inputs.slice(i, i + 500))
  const appendMs = performance.now() - a0
  const target = await log.maxSeq()

  const projector = lib.createProjector({ database, onError: () => {} })
  const p0 = performance.now()
  const c0 = selfCpuMs()
  let error: string | undefined
  try {
    const r = await withDeadline(projector.runOnce(), Date.now() + opts.timeoutMs, 'runOnce')
    if (r.lastSeq < target) error = `checkpoint ${r.lastSeq} < ${target}`
  } catch (err) {
    error = (err as Error).message
  }
  const projectMs = performance.now() - p0
  const projectCpuMs = selfCpuMs() - c0
  await projector.stop()
  const projectedRows = (await countTickets(lib, database)) - before
  if (!error && projectedRows !== opts.tickets) error = `${projectedRows} ticket rows for ${opts.tickets} tickets`
  return {
    ok: error === undefined,
    ...(error ? { error } : {}),
    tickets: opts.tickets,
    appendMs,
    projectMs,
    ticketsPerSec: opts.tickets / (projectMs / 1000),
    projectCpuMs,
    ticketsPerCpuSec: opts.tickets / (projectCpuMs / 1000),
    projectedRows,
  }
}

export async function runLag(
  lib: ProjectionLib,
  database: Database,
  products: readonly BenchProduct[],
  opts: { terminals: number; seconds: number; intervalMs: number; seed: number; timeoutMs: number },
): Promise<LagResult> {
  const log = lib.createUpdateLog(database, 'bench-terminals')
  const rand = prng(opts.seed + 1000)
  // (seq, commit time) of every sale, in seq order per append; drained as the checkpoint moves.
  const waiting: Array<{ seq: number; at: number }> = []
  const lags: number[] = []
  let allDone: (() => void) | null = null
  let selling = true
  const drain = (checkpoint: number) => {
    const now = performance.now()
    for (let i = waiting.length - 1; i >= 0; i--) {
      const w = waiting[i] as { seq: number; at: number }
      if (w.seq <= checkpoint) {
        lags.push(now - w.at)
        waiting.splice(i, 1)
      }
    }
    if (!selling && waiting.length === 0) allDone?.()
  }
  const projector = lib.createProjector({ database, onError: () => {}, onBatch: ({ checkpoint }) => drain(checkpoint) })
  await projector.runOnce()
  await projector.follow()

  const start = performance.now()
  const end = start + opts.seconds * 1000
  let sold = 0
  let error: string | undefined
  const terminal = async (t: number) => {
    // Each terminal sells on its own clock, offset so the 50 do not move in lockstep.
    let next = start + (t / opts.terminals) * opts.intervalMs
    while (next < end) {
      const wait = next - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const [res] = await log.append([ticketInput(`t${t}`, rand, products)])
      const at = performance.now()
      if (res) {
        waiting.push({ seq: res.seq, at })
        sold++
      }
      // A checkpoint that already passed this seq before we recorded it.
      drain(projector.checkpoint())
      next += opts.intervalMs
    }
  }
  try {
    await Promise.all(Array.from({ length: opts.terminals }, (_, t) => terminal(t)))
    selling = false
    const done = new Promise<void>((r) => (allDone = r))
    drain(projector.checkpoint())
    if (waiting.length > 0) await withDeadline(done, Date.now() + opts.timeoutMs, 'projection of every sale')
  } catch (err) {
    error = `${(err as Error).message}: ${waiting.length} sales not projected`
  } finally {
    selling = false
    await projector.stop()
  }
  return {
    ok: error === undefined,
    ...(error ? { error } : {}),
    tickets: sold,
    offeredPerSec: (opts.terminals * 1000) / opts.intervalMs,
    p50Ms: percentile(lags, 50),
    p99Ms: percentile(lags, 99),
    maxMs: percentile(lags, 100),
  }
}
