/**
 * A relay holding no documents reads (almost) nothing while the others take load: relay A
 * takes 300 updates of 2 KB from a stock client, relay B serves a reader of the same
 * document, relay C holds nothing. C's catch-up metrics barely move, on NOTIFY and on
 * NATS; on NATS, B gets A's rows with their bytes and reads almost none after notices.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { uuidv7 } from '@tally/schema'
import { dropSchema } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import { natsSkipReason } from './helpers/nats-server.ts'
import { until } from './helpers/raw-client.ts'
import { metricSum } from './helpers/relay-metrics.ts'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from './helpers/spawn-relay.ts'
import { stockProvider } from './helpers/stock-provider.ts'

const PG = process.env.TEST_DATABASE_URL
const NATS = process.env.TEST_NATS_URL
const UPDATES = 300
const SIZE = 2000

if (!PG) console.warn('scale-idle-relay: skipped: TEST_DATABASE_URL is not set (several relays need a real Postgres)')
else if (natsSkipReason) console.warn(`scale-idle-relay (NATS): skipped: ${natsSkipReason}`)

const modes = [
  { name: 'Postgres NOTIFY', nats: undefined as string | undefined, run: Boolean(PG) },
  { name: 'NATS', nats: NATS, run: Boolean(PG && NATS) },
]

for (const mode of modes) {
  describe.runIf(mode.run)(`an idle relay on ${mode.name}`, () => {
    const url = PG as string
    const schema = `t_idle_${process.pid}_${mode.nats ? 'n' : 'p'}_${Date.now().toString(36)}`
    const procs: SpawnedRelay[] = []
    const providers: WebsocketProvider[] = []
    afterEach(async () => {
      for (const p of providers.splice(0)) p.destroy()
      await Promise.all(procs.splice(0).map((r) => r.kill('SIGKILL')))
    })
    afterAll(() => dropSchema(url, schema))

    it(`[BUS15] ${UPDATES} updates of 2 KB on relay A: relay C, holding no documents, reads (almost) nothing from the log${mode.nats ? '; relay B gets them with their bytes' : ''}`, async () => {
      const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, ...(mode.nats ? { NATS_URL: mode.nats } : {}) }
      const a = await spawnRelay(env)
      procs.push(a)
      const [b, c] = await Promise.all([spawnRelay(env), spawnRelay(env)])
      procs.push(b as SpawnedRelay, c as SpawnedRelay)
      const rb = b as SpawnedRelay
      const rc = c as SpawnedRelay
      const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'idle' })
      const doc = `store1/cart/${uuidv7()}`
      const writer = await stockProvider(a.wsUrl, doc, token)
      const reader = await stockProvider(rb.wsUrl, doc, token)
      providers.push(writer, reader)
      const before = {
        cRows: await metricSum(rc.httpUrl, 'tally_log_catchup_rows_total'),
        cBytes: await metricSum(rc.httpUrl, 'tally_log_catchup_bytes_total'),
        bNotice: await metricSum(rb.httpUrl, 'tally_log_catchups_total', { reason: 'notice' }),
      }
      const list = writer.doc.getArray<string>('log')
      for (let i = 0; i < UPDATES; i++) list.push([`${i}:`.padEnd(SIZE, 'x')])
      await until(() => reader.doc.getArray('log').length === UPDATES, 'every update at B', 60_000)
      expect(await metricSum(a.httpUrl, 'tally_log_appends_total')).toBeGreaterThan(0)
      const written = UPDATES * SIZE
      const cRows = (await metricSum(rc.httpUrl, 'tally_log_catchup_rows_total')) - before.cRows
      const cBytes = (await metricSum(rc.httpUrl, 'tally_log_catchup_bytes_total')) - before.cBytes
      // "Almost": a periodic check of held documents reads nothing when none are held.
      expect(cRows).toBeLessThanOrEqual(3)
      expect(cBytes).toBeLessThan(written / 100)
      if (mode.nats) {
        expect(await metricSum(rb.httpUrl, 'tally_bus_received_total', { bytes: 'yes' })).toBeGreaterThan(0)
        expect(await metricSum(rc.httpUrl, 'tally_bus_received_total')).toBe(0)
        // Reads after a notice happen only when NATS did not bring the row within the grace.
        const bNotice = (await metricSum(rb.httpUrl, 'tally_log_catchups_total', { reason: 'notice' })) - before.bNotice
        expect(bNotice).toBeLessThan(UPDATES / 10)
      }
    }, 180_000)
  })
}
