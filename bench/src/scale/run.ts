/**
 * `npm run bench -- scale`: several relays on one Postgres, with and without NATS.
 *
 * - delivery: an edit made on relay A until a client on relay B has it, 200 edits one at a
 *   time and 200 at 500/s; beside it the same on one relay and on the y-websocket
 *   reference server (writer and reader on one server: no cross-process hop).
 * - catchup: log bytes a relay holding one store's document reads while another relay
 *   takes 400 updates of 1 KB spread over N = 1..200 other stores (must stay flat in N).
 * - throughput: total fan-out deliveries per second of one relay against three (stores
 *   routed to a relay each, and readers spread over the three, which crosses relays).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uuidv7 } from '@tally/schema'
import { percentile, round } from '../stats.ts'
import { startServer } from '../servers/spawn.ts'
import { BENCH_JWT_SECRET, terminalToken } from '../tally-token.ts'
import { client, dropSchema, startScaleRelay, whenDoc, type Client, type ClusterOptions, type ScaleRelay } from './cluster.ts'

export interface ScaleOptions {
  tallyRoot: string | undefined
  postgresUrl: string
  natsUrl: string | undefined
  edits: number
  burstPerSecond: number
  catchupSteps: number[]
  catchupUpdates: number
  throughput: { docs: number; readers: number; edits: number }
  log: (line: string) => void
}

export interface DeliveryRow {
  target: string
  mode: 'one-at-a-time' | 'burst'
  p50Ms: number
  p99Ms: number
}
export interface CatchupRow {
  feed: string
  stores: number
  writtenBytes: number
  holderReadBytes: number
  holderReadRows: number
  holderCpuMs: number
  /** The holder's catch-up reads in the step, by reason (notice, gap, check, compaction). */
  holderCatchups: Record<string, number>
}
export interface ThroughputRow {
  setup: string
  deliveries: number
  ms: number
  perSecond: number
}
export interface ScaleResults {
  delivery: DeliveryRow[]
  catchup: CatchupRow[]
  throughput: ThroughputRow[]
}

const sleepUntil = (t: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, t - performance.now())))

let schemaN = 0
async function cluster(o: ScaleOptions, n: number, nats: boolean, dir: string): Promise<{ relays: ScaleRelay[]; done: () => Promise<void> }> {
  const schema = `bench_scale_${process.pid}_${schemaN++}`
  const co: ClusterOptions = { tallyRoot: o.tallyRoot, postgresUrl: o.postgresUrl, schema, natsUrl: nats ? o.natsUrl : undefined, logDir: dir }
  // The first relay migrates the schema; the others start after it.
  const first = await startScaleRelay(co, 0)
  const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => startScaleRelay(co, i + 1)))
  const relays = [first, ...rest]
  return {
    relays,
    done: async () => {
      await Promise.all(relays.map((r) => r.stop()))
      await dropSchema(o.postgresUrl, schema)
    },
  }
}

/** Latencies of `edits` map sets made on `writer` until `reader` has each. */
async function delivery(writer: Client, reader: Client, edits: number, perSecond: number | null): Promise<number[]> {
  const sent = writer.doc.getMap<number>('e')
  const got = reader.doc.getMap<number>('e')
  const lat: number[] = []
  const seen = new Set<string>()
  const observer = (ev: { keysChanged: Set<string> }) => {
    const now = performance.now()
    for (const k of ev.keysChanged) {
      if (seen.has(k)) continue
      seen.add(k)
      lat.push(now - (got.get(k) as number))
    }
  }
  got.observe(observer)
  const tag = uuidv7().slice(-8)
  const t0 = performance.now()
  for (let i = 0; i < edits; i++) {
    const key = `${tag}-${i}`
    if (perSecond === null) {
      sent.set(key, performance.now())
      await whenDoc(reader.doc, () => seen.has(key), 30_000, `edit ${i}`)
    } else {
      await sleepUntil(t0 + (i * 1000) / perSecond)
      sent.set(key, performance.now())
    }
  }
  await whenDoc(reader.doc, () => seen.size >= edits, 60_000, 'every edit')
  got.unobserve(observer)
  return lat
}

async function deliveryWorkload(o: ScaleOptions, dir: string, out: DeliveryRow[]): Promise<void> {
  const token = await terminalToken(BENCH_JWT_SECRET, 'bench', 'scale')
  const measure = async (target: string, writerPort: number, readerPort: number, path: (name: string) => string = (n) => n) => {
    for (const mode of ['one-at-a-time', 'burst'] as const) {
      const name = `bench/cart/${uuidv7()}`
      const w = client(writerPort, path(name), token)
      const r = client(readerPort, path(name), token)
      await Promise.all([w.synced, r.synced])
      // One uncounted round: code paths warm, the document loaded on both relays.
      await delivery(w, r, 20, null)
      const lat = await delivery(w, r, o.edits, mode === 'burst' ? o.burstPerSecond : null)
      out.push({ target, mode, p50Ms: round(percentile(lat, 50), 2), p99Ms: round(percentile(lat, 99), 2) })
      o.log(`  delivery ${target} ${mode}: p50 ${round(percentile(lat, 50), 2)} ms, p99 ${round(percentile(lat, 99), 2)} ms`)
      w.destroy()
      r.destroy()
    }
  }
  for (const nats of [false, true]) {
    if (nats && !o.natsUrl) continue
    const c = await cluster(o, 2, nats, dir)
    try {
      const [a, b] = c.relays as [ScaleRelay, ScaleRelay]
      await measure(`two relays, ${nats ? 'NATS' : 'NOTIFY'}`, a.port, b.port)
      if (!nats) await measure('one relay', a.port, a.port)
    } finally {
      await c.done()
    }
  }
  const ref = await startServer({ id: 'ref', kind: 'ref', label: 'y-websocket 2.1 server', persist: false }, dir, { jwtSecret: BENCH_JWT_SECRET })
  try {
    // The reference server serves rooms at its root and takes no token.
    const measureRef = async () => {
      for (const mode of ['one-at-a-time', 'burst'] as const) {
        const name = `bench-cart-${uuidv7()}`
        const w = client(ref.port, name, null)
        const r = client(ref.port, name, null)
        await Promise.all([w.synced, r.synced])
        await delivery(w, r, 20, null)
        const lat = await delivery(w, r, o.edits, mode === 'burst' ? o.burstPerSecond : null)
        out.push({ target: 'y-websocket server (one process)', mode, p50Ms: round(percentile(lat, 50), 2), p99Ms: round(percentile(lat, 99), 2) })
        o.log(`  delivery ref ${mode}: p50 ${round(percentile(lat, 50), 2)} ms, p99 ${round(percentile(lat, 99), 2)} ms`)
        w.destroy()
        r.destroy()
      }
    }
    await measureRef()
  } finally {
    await ref.stop()
  }
}

async function catchupWorkload(o: ScaleOptions, dir: string, out: CatchupRow[]): Promise<void> {
  const payload = 'x'.repeat(1000)
  for (const nats of [false, true]) {
    if (nats && !o.natsUrl) continue
    const feed = nats ? 'NATS' : 'NOTIFY'
    const c = await cluster(o, 2, nats, dir)
    try {
      const [w, h] = c.relays as [ScaleRelay, ScaleRelay]
      // The holder holds one store's document, with a client on it and a trickle of edits.
      const holdToken = await terminalToken(BENCH_JWT_SECRET, 'hold', 'h')
      const holdName = `hold/cart/${uuidv7()}`
      const holder = client(h.port, holdName, holdToken)
      const holdWriter = client(w.port, holdName, holdToken)
      await Promise.all([holder.synced, holdWriter.synced])
      let step = 0
      for (const stores of o.catchupSteps) {
        step++
        const writers: Client[] = []
        for (let s = 0; s < stores; s++) {
          const store = `st${step}x${s}`
          writers.push(client(w.port, `${store}/cart/${uuidv7()}`, await terminalToken(BENCH_JWT_SECRET, store, 'w')))
        }
        await Promise.all(writers.map((x) => x.synced))
        const appendsBefore = await w.metric('tally_log_appends_total')
        const bytesBefore = await h.metric('tally_log_catchup_bytes_total')
        const rowsBefore = await h.metric('tally_log_catchup_rows_total')
        const cpuBefore = h.cpuMs()
        const reasons = ['notice', 'gap', 'check', 'compaction']
        const catchupsBefore = await Promise.all(reasons.map((reason) => h.metric('tally_log_catchups_total', { reason })))
        const trickle = Math.max(1, Math.round(o.catchupUpdates / 20))
        const held = holdWriter.doc.getArray<string>('log')
        for (let i = 0; i < o.catchupUpdates; i++) {
          ;(writers[i % stores] as Client).doc.getArray<string>('log').push([`${i}${payload}`])
          if (i % trickle === 0) held.push([`${step}-${i}`])
          // Let the sockets drain now and then, as terminals would.
          if (i % 50 === 49) await new Promise((r) => setImmediate(r))
        }
        const heldWant = held.length
        await whenDoc(holder.doc, () => holder.doc.getArray('log').length === heldWant, 60_000, 'held edits at the holder')
        const want = appendsBefore + o.catchupUpdates + Math.ceil(o.catchupUpdates / trickle)
        const deadline = Date.now() + 60_000
        while ((await w.metric('tally_log_appends_total')) < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        // Let notices of the last commits reach the holder (they are read after them).
        await new Promise((r) => setTimeout(r, 500))
        const row: CatchupRow = {
          feed,
          stores,
          writtenBytes: o.catchupUpdates * (payload.length + 4),
          holderReadBytes: (await h.metric('tally_log_catchup_bytes_total')) - bytesBefore,
          holderReadRows: (await h.metric('tally_log_catchup_rows_total')) - rowsBefore,
          holderCpuMs: round(h.cpuMs() - cpuBefore, 0),
          holderCatchups: {},
        }
        for (const [j, reason] of reasons.entries()) {
          const n = (await h.metric('tally_log_catchups_total', { reason })) - (catchupsBefore[j] as number)
          if (n > 0) row.holderCatchups[reason] = n
        }
        out.push(row)
        o.log(`  catchup ${feed} ${stores} stores: holder read ${row.holderReadRows} rows, ${row.holderReadBytes} bytes, ${row.holderCpuMs} ms CPU, catch-ups ${JSON.stringify(row.holderCatchups)}`)
        for (const x of writers) x.destroy()
      }
      holder.destroy()
      holdWriter.destroy()
    } finally {
      await c.done()
    }
  }
}

async function throughputWorkload(o: ScaleOptions, dir: string, out: ThroughputRow[]): Promise<void> {
  const { docs, readers, edits } = o.throughput
  const run = async (setup: string, relays: ScaleRelay[], place: (doc: number, who: number) => number) => {
    const groups: Array<{ writer: Client; readers: Client[] }> = []
    for (let d = 0; d < docs; d++) {
      const store = `tp${d}`
      const token = await terminalToken(BENCH_JWT_SECRET, store, 't')
      const name = `${store}/cart/${uuidv7()}`
      const writer = client((relays[place(d, 0) % relays.length] as ScaleRelay).port, name, token)
      const rs = Array.from({ length: readers }, (_, j) => client((relays[place(d, j + 1) % relays.length] as ScaleRelay).port, name, token))
      groups.push({ writer, readers: rs })
    }
    await Promise.all(groups.flatMap((g) => [g.writer.synced, ...g.readers.map((r) => r.synced)]))
    const t0 = performance.now()
    for (let e = 0; e < edits; e++) {
      for (const g of groups) g.writer.doc.getArray<number>('log').push([e])
      await new Promise((r) => setImmediate(r))
    }
    await Promise.all(groups.flatMap((g) => g.readers.map((r) => whenDoc(r.doc, () => r.doc.getArray('log').length === edits, 120_000, 'fan-out'))))
    const ms = performance.now() - t0
    const deliveries = docs * readers * edits
    const row = { setup, deliveries, ms: round(ms, 0), perSecond: round(deliveries / (ms / 1000), 0) }
    out.push(row)
    o.log(`  throughput ${setup}: ${deliveries} deliveries in ${row.ms} ms, ${row.perSecond}/s`)
    for (const g of groups) {
      g.writer.destroy()
      for (const r of g.readers) r.destroy()
    }
  }
  {
    const c = await cluster(o, 1, false, dir)
    try {
      await run('one relay', c.relays, () => 0)
    } finally {
      await c.done()
    }
  }
  for (const nats of [false, true]) {
    if (nats && !o.natsUrl) continue
    const c = await cluster(o, 3, nats, dir)
    try {
      const feed = nats ? 'NATS' : 'NOTIFY'
      await run(`three relays, stores routed, ${feed}`, c.relays, (d) => d)
      await run(`three relays, readers spread, ${feed}`, c.relays, (d, who) => d + who)
    } finally {
      await c.done()
    }
  }
}

export async function runScaleBench(o: ScaleOptions, workloads: readonly string[]): Promise<ScaleResults> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-scale-'))
  const results: ScaleResults = { delivery: [], catchup: [], throughput: [] }
  try {
    if (workloads.includes('delivery')) {
      o.log('delivery')
      await deliveryWorkload(o, dir, results.delivery)
    }
    if (workloads.includes('catchup')) {
      o.log('catchup')
      await catchupWorkload(o, dir, results.catchup)
    }
    if (workloads.includes('throughput')) {
      o.log('throughput')
      await throughputWorkload(o, dir, results.throughput)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return results
}
