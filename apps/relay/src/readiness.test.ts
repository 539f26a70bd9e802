/**
 * `/healthz` says the process is alive; `/readyz` says whether it can serve: 200 only
 * when the database answered within READY_TIMEOUT_MS, else 503 naming what is down
 * (RLY43). On Postgres the relay's connections are cut for real, through a loopback
 * proxy that kills them and refuses reconnects, or silently drops every byte.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dropSchema, openDatabase, type Database } from '@tally/schema/db'
import { testBackends } from '@tally/schema/db/testing'
import { blackholeProxy } from '../../../tests/helpers/blackhole-proxy.ts'
import { cutProxy } from '../../../tests/helpers/cut-proxy.ts'
import pino from 'pino'
import { createRelay } from './app.ts'
import { defaultConfig } from './config.ts'
import { bind } from './serve.ts'
import { startTestRelay, TEST_SECRET, type TestRelay } from './testing.ts'

interface Ready {
  status: number
  body: { ready: boolean; down: string[]; checks: Record<string, { ok: boolean; ms: number; error?: string }> }
}

async function readyz(relay: TestRelay): Promise<Ready> {
  const res = await fetch(`${relay.httpUrl}/readyz`)
  return { status: res.status, body: (await res.json()) as Ready['body'] }
}

async function healthz(relay: TestRelay): Promise<number> {
  return (await fetch(`${relay.httpUrl}/healthz`)).status
}

/** Poll until `ok` holds (bounded); returns the last answer. */
async function until(relay: TestRelay, ok: (r: Ready) => boolean, boundMs = 20_000): Promise<Ready> {
  const deadline = Date.now() + boundMs
  let last = await readyz(relay)
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    last = await readyz(relay)
  }
  return last
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

describe('readiness on pglite', () => {
  it('[RLY43] ready while the database answers; once it is gone /readyz is 503 naming the database and /healthz stays 200', async () => {
    const backend = testBackends().find((b) => b.name === 'pglite')
    if (!backend) throw new Error('no pglite backend')
    const database = await backend.open()
    cleanups.push(() => database.cleanup())
    const relay = await startTestRelay({ database })
    cleanups.push(() => relay.close())
    const up = await readyz(relay)
    expect(up.status).toBe(200)
    expect(up.body).toMatchObject({ ready: true, down: [], checks: { database: { ok: true } } })
    await database.close()
    const down = await readyz(relay)
    expect(down.status).toBe(503)
    expect(down.body.ready).toBe(false)
    expect(down.body.down).toEqual(['database'])
    expect(down.body.checks.database?.error).toBeTruthy()
    expect(await healthz(relay)).toBe(200)
  })

  it('[RLY41][RLY43] a bound port answers before the relay is mounted: /healthz 200, /readyz 503 naming relay (starting); then ready', async () => {
    const bound = await bind(0, '127.0.0.1')
    cleanups.push(() => bound.close())
    const base = `http://127.0.0.1:${bound.port}`
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const early = await fetch(`${base}/readyz`)
    expect(early.status).toBe(503)
    expect(await early.json()).toMatchObject({ ready: false, down: ['relay'], checks: { relay: { error: 'starting' } } })
    expect((await fetch(`${base}/api/v1/reports/sales`)).status).toBe(503)
    const backend = testBackends().find((b) => b.name === 'pglite')
    if (!backend) throw new Error('no pglite backend')
    const database = await backend.open()
    cleanups.push(() => database.cleanup())
    const relay = createRelay({ database, config: { ...defaultConfig(TEST_SECRET), webDist: undefined }, logger: pino({ level: 'silent' }) })
    cleanups.push(() => relay.close())
    bound.mount(relay)
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
  })

  it('[RLY43] a relay shutting down is not ready (the load balancer stops sending before its sockets close)', async () => {
    const backend = testBackends().find((b) => b.name === 'pglite')
    if (!backend) throw new Error('no pglite backend')
    const database = await backend.open()
    cleanups.push(() => database.cleanup())
    const relay = await startTestRelay({ database })
    cleanups.push(() => relay.close())
    expect((await readyz(relay)).status).toBe(200)
    await relay.relay.close()
    const r = await readyz(relay)
    expect(r.status).toBe(503)
    expect(r.body.down).toEqual(['relay'])
  })
})

const URL_ = process.env.TEST_DATABASE_URL

describe.runIf(URL_)('readiness on postgres, connections cut for real', () => {
  const url = new URL(URL_ ?? 'postgres://unset@127.0.0.1:5432/unset')
  let n = 0
  async function openThrough(port: number): Promise<Database> {
    const schema = `t_ready_${process.pid}_${Date.now().toString(36)}_${n++}`
    const via = new URL(url)
    via.hostname = '127.0.0.1'
    via.port = String(port)
    const database = await openDatabase({ url: via.toString(), schema, max: 4 })
    cleanups.push(async () => {
      await database.close().catch(() => {})
      await dropSchema(url.toString(), schema)
    })
    return database
  }

  it('[RLY43] the link to Postgres cut (connections killed, reconnects refused): 503 naming the database, /healthz 200; back to 200 once it heals', async () => {
    const proxy = await cutProxy(Number(url.port || 5432), url.hostname)
    cleanups.push(() => proxy.close())
    const database = await openThrough(proxy.port)
    const relay = await startTestRelay({ database, readyTimeoutMs: 500 })
    cleanups.push(() => relay.close())
    expect((await readyz(relay)).status).toBe(200)

    proxy.cut()
    const down = await until(relay, (r) => r.status === 503)
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({ ready: false, down: ['database'], checks: { database: { ok: false } } })
    expect(await healthz(relay)).toBe(200)

    proxy.restore()
    const back = await until(relay, (r) => r.status === 200)
    expect(back.body).toMatchObject({ ready: true, down: [] })
  }, 60_000)

  it('[RLY43] a silent Postgres (every byte dropped): /readyz answers 503 within READY_TIMEOUT_MS, and probes do not pile up queries', async () => {
    const proxy = await blackholeProxy(Number(url.port || 5432))
    cleanups.push(() => proxy.close())
    const database = await openThrough(proxy.port)
    const relay = await startTestRelay({ database, readyTimeoutMs: 400 })
    cleanups.push(async () => {
      // The pool's connections hang on the dead path: close them (the proxy) first, so the
      // relay's last audit flush fails at once instead of waiting on them.
      await proxy.close()
      await relay.close()
    })
    expect((await readyz(relay)).status).toBe(200)
    proxy.blackhole()
    const before = proxy.connections
    for (let i = 0; i < 5; i++) {
      const started = Date.now()
      const r = await readyz(relay)
      const took = Date.now() - started
      expect(r.status).toBe(503)
      expect(r.body.down).toEqual(['database'])
      expect(r.body.checks.database?.error).toMatch(/no answer within 400 ms/)
      expect(took).toBeLessThan(400 + 1_000)
    }
    // One probe query hangs; the later probes waited on it instead of opening connections.
    expect(proxy.connections - before).toBeLessThanOrEqual(1)
  }, 60_000)
})
