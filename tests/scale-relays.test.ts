/**
 * Three relays on one real Postgres, two of them running a projector (one leads, one
 * stands by), with stock y-websocket clients on shared carts spread over all three and a
 * `/mux` terminal per relay uploading tickets with update ids. During the load each relay
 * is killed with -9 in turn (the first two kills hit the leading projector), its clients
 * move to another relay and the relay comes back. Afterwards: every cart converged on
 * every client, every ticket update is in the log exactly once, and every ticket is
 * projected once with one verdict. Run on Postgres NOTIFY alone and with NATS.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import postgres from 'postgres'
import * as Y from 'yjs'
import type { WebsocketProvider } from 'y-websocket'
import { Mux, ticketDocName, uuidv7, writeSale, type Sale } from '@tally/schema'
import { dropSchema } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import { muxClient, type MuxClient } from './helpers/mux-client.ts'
import { natsSkipReason } from './helpers/nats-server.ts'
import { until } from './helpers/raw-client.ts'
import { metricSum } from './helpers/relay-metrics.ts'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from './helpers/spawn-relay.ts'
import { stockProvider } from './helpers/stock-provider.ts'

const PG = process.env.TEST_DATABASE_URL
const NATS = process.env.TEST_NATS_URL
const S = 'scale1'
const CARTS = 3
const ROUNDS = 24
const TICKETS_PER_ROUND = 2
/** Rounds after which relay k (0, 1, 2) is killed with -9 and started again. */
const KILL_AT = [5, 12, 19]

if (!PG) console.warn('scale-relays: skipped: TEST_DATABASE_URL is not set (several relays need a real Postgres)')
else if (natsSkipReason) console.warn(`scale-relays (NATS): skipped: ${natsSkipReason}`)

function sale(id: string, terminal: string, n: number): Sale {
  const lines = [
    { lineId: 'l0', productId: 's-beer', name: 'Beer', qty: 1 + (n % 3), unitPrice: 350, taxRate: 0, total: (1 + (n % 3)) * 350 },
    { lineId: 'l1', productId: 's-cola', name: 'Cola', qty: 1, unitPrice: 250, taxRate: 0, total: 250 },
  ]
  const total = lines.reduce((s, l) => s + l.total, 0)
  return {
    id,
    storeId: S,
    terminalId: terminal,
    cashier: 'ann',
    clientTime: new Date().toISOString(),
    lines,
    total,
    payment: { method: 'cash', amount: total },
    visitId: null,
    bracelet: null,
    cartId: id,
  }
}

const modes = [
  { name: 'Postgres NOTIFY', nats: undefined as string | undefined, run: Boolean(PG) },
  { name: 'NATS', nats: NATS, run: Boolean(PG && NATS) },
]

for (const mode of modes) {
  describe.runIf(mode.run)(`three relays and two projectors on ${mode.name}`, () => {
    const url = PG as string
    const schema = `t_scale_${process.pid}_${mode.nats ? 'n' : 'p'}_${Date.now().toString(36)}`
    const procs: SpawnedRelay[] = []
    const providers: WebsocketProvider[] = []
    const muxes: MuxClient[] = []
    const admin = postgres(url, { max: 1, onnotice: () => {} })
    afterEach(async () => {
      for (const p of providers.splice(0)) p.destroy()
      for (const m of muxes.splice(0)) m.close()
      await Promise.all(procs.splice(0).map((r) => r.kill('SIGKILL')))
    })
    afterAll(async () => {
      await admin.end()
      await dropSchema(url, schema)
    })

    it('[BUS14] kill -9 of each relay and of the leading projector in turn under load: clients move and converge, every update once in the log, every ticket projected once with one verdict', async () => {
      const env = (projector: boolean) => ({ DATABASE_URL: url, DATABASE_SCHEMA: schema, PROJECTOR: projector ? '1' : '0', ...(mode.nats ? { NATS_URL: mode.nats } : {}) })
      const start = async (k: number) => {
        const r = await spawnRelay(env(k < 2))
        procs.push(r)
        return r
      }
      const relays: SpawnedRelay[] = []
      relays[0] = await start(0)
      await admin.unsafe(`INSERT INTO ${schema}.products (id, store, name, price) VALUES ('s-beer', '${S}', 'Beer', 350), ('s-cola', '${S}', 'Cola', 250)`)
      relays[1] = await start(1)
      relays[2] = await start(2)
      const leaders = async () => (await Promise.all(relays.map((r) => metricSum(r.httpUrl, 'tally_projector_leader').catch(() => 0)))).reduce((a, b) => a + b, 0)
      await until(async () => (await leaders()) === 1, 'one projector leading')

      const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: S, sub: 'scale' })
      const carts = Array.from({ length: CARTS }, () => `${S}/cart/${uuidv7()}`)
      // One stock client per (cart, relay); each keeps its Y.Doc when it moves.
      const clients: Array<{ doc: string; ydoc: Y.Doc; on: number; provider: WebsocketProvider; tag: string }> = []
      for (const doc of carts) {
        for (let k = 0; k < 3; k++) {
          const ydoc = new Y.Doc()
          const provider = await stockProvider((relays[k] as SpawnedRelay).wsUrl, doc, token, ydoc)
          providers.push(provider)
          clients.push({ doc, ydoc, on: k, provider, tag: `${doc.slice(-6)}-${k}` })
        }
      }
      // One /mux terminal per relay; its tickets are resent (same update id) after a move.
      const terminals = await Promise.all(
        [0, 1, 2].map(async (k) => {
          const m = await muxClient(`${(relays[k] as SpawnedRelay).wsUrl}/mux?token=${token}`)
          muxes.push(m)
          return { on: k, mux: m, sent: new Map<string, { doc: string; bytes: Uint8Array }>(), acked: new Set<string>() }
        }),
      )
      const collectAcks = () => {
        for (const t of terminals) for (const id of t.mux.acks.keys()) t.acked.add(id)
      }
      const sendTicket = (t: (typeof terminals)[number], n: number) => {
        const id = uuidv7()
        const d = new Y.Doc()
        writeSale(d, sale(id, `term-${t.on}`, n))
        const updateId = uuidv7()
        const entry = { doc: ticketDocName(S, id), bytes: Y.encodeStateAsUpdate(d) }
        t.sent.set(updateId, entry)
        t.mux.send({ type: Mux.update, doc: entry.doc, updateId, update: entry.bytes })
      }

      // A dead relay's clients spread over the two live ones, so carts stay shared across relays.
      let turn = 0
      const move = async (dead: number) => {
        const next = () => (dead + 1 + (turn++ % 2)) % 3
        for (const c of clients) {
          if (c.on !== dead) continue
          const to = next()
          c.provider.destroy()
          c.provider = await stockProvider((relays[to] as SpawnedRelay).wsUrl, c.doc, token, c.ydoc)
          providers.push(c.provider)
          c.on = to
        }
        for (const t of terminals) {
          if (t.on !== dead) continue
          const to = next()
          collectAcks()
          t.mux.close()
          t.mux = await muxClient(`${(relays[to] as SpawnedRelay).wsUrl}/mux?token=${token}`)
          muxes.push(t.mux)
          t.on = to
          // Everything not acknowledged goes again, under its own update id.
          for (const [updateId, e] of t.sent) if (!t.acked.has(updateId)) t.mux.send({ type: Mux.update, doc: e.doc, updateId, update: e.bytes })
        }
      }

      let edits = 0
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of clients) {
          c.ydoc.getArray<string>('log').push([`${c.tag}-${round}`])
          edits++
        }
        for (const t of terminals) for (let j = 0; j < TICKETS_PER_ROUND; j++) sendTicket(t, round * 10 + j)
        // Load is paced by the relays' acks, not by a clock.
        await Promise.all(terminals.map((t) => t.mux.until(() => [...t.sent.keys()].every((id) => t.mux.acks.has(id) || t.acked.has(id)), `acks of round ${round}`, 30_000)))
        const k = KILL_AT.indexOf(round)
        if (k >= 0) {
          const victim = relays[k] as SpawnedRelay
          // Relays 0 and 1 run the projectors; each is the leader when it dies.
          if (k < 2) expect(await metricSum(victim.httpUrl, 'tally_projector_leader')).toBe(1)
          await victim.kill('SIGKILL')
          await move(k)
          relays[k] = await start(k)
          // A projector died with it (k < 2): one of the live ones leads again.
          await until(async () => (await leaders()) === 1, `one projector leading after killing relay ${k}`, 20_000)
        }
      }
      collectAcks()

      // Every cart converged, on every client, to every edit made anywhere.
      const perCart = edits / CARTS
      await until(
        () => clients.every((c) => c.ydoc.getArray('log').length === perCart),
        `every client to hold its cart's ${perCart} edits`,
        60_000,
      )
      for (const doc of carts) {
        const copies = clients.filter((c) => c.doc === doc).map((c) => JSON.stringify(c.ydoc.getArray('log').toJSON()))
        expect(new Set(copies).size).toBe(1)
      }

      // Every ticket update in the log exactly once.
      const sent = terminals.flatMap((t) => [...t.sent.keys()])
      expect(sent).toHaveLength(3 * ROUNDS * TICKETS_PER_ROUND)
      const counts = await admin.unsafe<Array<{ update_id: string; n: number }>>(
        `SELECT update_id, count(*)::int AS n FROM ${schema}.update_log WHERE store = $1 AND update_id = ANY($2::text[]) GROUP BY update_id`,
        [S, sent],
      )
      expect(counts).toHaveLength(sent.length)
      expect(counts.filter((c) => c.n !== 1)).toEqual([])

      // Every ticket projected once, with one verdict.
      const top = await admin.unsafe<Array<{ seq: number }>>(`SELECT coalesce(max(seq), 0)::bigint AS seq FROM ${schema}.update_log WHERE actor <> 'projection'`)
      const target = Number(top[0]?.seq)
      await until(async () => {
        const [c] = await admin.unsafe<Array<{ seq: number }>>(`SELECT seq FROM ${schema}.checkpoints WHERE name = 'projection'`)
        return Number(c?.seq ?? 0) >= target
      }, 'the projection to pass every row', 90_000)
      const [tickets] = await admin.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${schema}.tickets WHERE store = $1`, [S])
      expect(tickets?.n).toBe(sent.length)
      const verdicts = await admin.unsafe<Array<{ doc: string; n: number }>>(
        `SELECT doc, count(*)::int AS n FROM ${schema}.update_log WHERE store = $1 AND actor = 'projection' AND doc LIKE '%/ticket/%' GROUP BY doc`,
        [S],
      )
      expect(verdicts).toHaveLength(sent.length)
      expect(verdicts.filter((v) => v.n !== 1)).toEqual([])
      if (mode.nats) {
        // On NATS, relays heard each other's rows with their bytes.
        const heard = await Promise.all(relays.map((r) => metricSum(r.httpUrl, 'tally_bus_received_total', { bytes: 'yes' })))
        expect(heard.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
      }
    }, 300_000)
  })
}
