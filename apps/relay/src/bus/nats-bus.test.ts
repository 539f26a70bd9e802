/**
 * The NATS bus against a real nats-server (TEST_NATS_URL; `.ci/run` starts one on 4222).
 * Link loss and server restarts are in tests/scale-nats-link.test.ts (own server process).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogChange } from './change-feed.ts'
import { connectNatsBus, NatsUnreachableError, type NatsBus } from './nats-bus.ts'
import { decodeDocToken, encodeDocToken, parseSubject, subjectOf } from './subjects.ts'

const NATS = process.env.TEST_NATS_URL
const logger = pino({ level: 'silent' })

describe('bus subjects', () => {
  it('[BUS1] a document name (with / and .) is one subject token, per schema and kind, and reads back', () => {
    const doc = 'store.1/ticket/0190-a.b'
    const token = encodeDocToken(doc)
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeDocToken(token)).toBe(doc)
    const s = subjectOf('public', 'doc', doc)
    expect(s.split('.')).toHaveLength(4)
    expect(parseSubject('public', s)).toEqual({ kind: 'doc', doc })
    expect(parseSubject('other', s)).toBeNull()
    expect(subjectOf('public', 'aw', doc)).not.toBe(s)
  })
})

describe.runIf(NATS)('NATS bus on a real server', () => {
  const url = NATS as string
  const open: NatsBus[] = []
  const schema = `t${randomUUID().slice(0, 8)}`
  async function bus(opts: { maxAnnounceBytes?: number; schema?: string } = {}): Promise<NatsBus> {
    const b = await connectNatsBus({ url, schema: opts.schema ?? schema, instance: `relay-${randomUUID()}`, logger, ...(opts.maxAnnounceBytes ? { maxAnnounceBytes: opts.maxAnnounceBytes } : {}) })
    open.push(b)
    return b
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()))
  })
  /** Resolves with the changes heard once `n` arrived. */
  function hear(b: NatsBus, n: number): Promise<LogChange[]> {
    const got: LogChange[] = []
    return new Promise((resolve) => {
      const off = b.onChange((cs) => {
        got.push(...cs)
        if (got.length >= n) {
          off()
          resolve(got)
        }
      })
    })
  }
  /** A round trip through the server for each bus: what was published before has been delivered. */
  async function settle(...bs: NatsBus[]): Promise<void> {
    for (const b of bs) await b.readiness.check()
  }

  it('[BUS2] a relay hears other relays\' committed rows, with their bytes, only for the documents it watches, never its own', async () => {
    const a = await bus()
    const b = await bus()
    b.watch(['s/cart/1'])
    a.watch(['s/cart/1'])
    await settle(a, b)
    const heard = hear(b, 2)
    const own: LogChange[] = []
    a.onChange((cs) => own.push(...cs))
    a.announce([
      { doc: 's/cart/2', seq: 4, origin: 'relay-a', bytes: new Uint8Array([9]) },
      { doc: 's/cart/1', seq: 5, origin: 'relay-a', bytes: new Uint8Array([1, 2, 3]) },
      { doc: 's/cart/1', seq: 7, origin: 'relay-a', bytes: new Uint8Array([4]) },
    ])
    const got = await heard
    expect(got.map((c) => [c.doc, c.seq, c.origin, [...(c.bytes ?? [])]])).toEqual([
      ['s/cart/1', 5, 'relay-a', [1, 2, 3]],
      ['s/cart/1', 7, 'relay-a', [4]],
    ])
    await settle(a, b)
    expect(own).toEqual([])
    // Unwatched: nothing more arrives for it.
    b.unwatch(['s/cart/1'])
    expect(b.watched).toBe(0)
    const after: LogChange[] = []
    b.onChange((cs) => after.push(...cs))
    a.announce([{ doc: 's/cart/1', seq: 9, origin: 'relay-a', bytes: new Uint8Array([5]) }])
    await settle(a, b)
    expect(after).toEqual([])
  })

  it('[BUS3] rows over the announce bound go out without bytes (the reader reads the row); a message carries at most the bound', async () => {
    const a = await bus({ maxAnnounceBytes: 1000 })
    const b = await bus()
    b.watch(['s/ticket/big'])
    await settle(b)
    const heard = hear(b, 3)
    a.announce([
      { doc: 's/ticket/big', seq: 1, origin: 'relay-a', bytes: new Uint8Array(1001) },
      { doc: 's/ticket/big', seq: 2, origin: 'relay-a', bytes: new Uint8Array(600) },
      { doc: 's/ticket/big', seq: 3, origin: 'relay-a', bytes: new Uint8Array(600) },
    ])
    const got = await heard
    expect(got.map((c) => [c.seq, c.bytes?.byteLength ?? null])).toEqual([
      [1, null],
      [2, 600],
      [3, null],
    ])
  })

  it('[BUS4] relays on other schemas never hear each other', async () => {
    const a = await bus({ schema: `${schema}x` })
    const b = await bus()
    const c = await bus()
    b.watch(['s/cart/1'])
    await settle(b)
    const got: LogChange[] = []
    b.onChange((cs) => got.push(...cs))
    a.announce([{ doc: 's/cart/1', seq: 1, origin: 'relay-a', bytes: new Uint8Array([1]) }])
    await settle(a, b)
    expect(got).toEqual([])
    c.announce([{ doc: 's/cart/1', seq: 2, origin: 'relay-c', bytes: new Uint8Array([1]) }])
    await expect.poll(() => got.map((x) => x.seq)).toEqual([2])
  })

  it('[BUS5] awareness a relay publishes reaches relays watching the document, never itself; counted in metrics', async () => {
    const a = await bus()
    const b = await bus()
    a.watch(['s/cart/1'])
    b.watch(['s/cart/1'])
    await settle(a, b)
    const atB = new Promise<[string, Uint8Array]>((resolve) => b.onAwareness((doc, u) => resolve([doc, u])))
    const atA: string[] = []
    a.onAwareness((doc) => atA.push(doc))
    a.publishAwareness('s/cart/1', new Uint8Array([1, 2]))
    const [doc, update] = await atB
    expect(doc).toBe('s/cart/1')
    expect([...update]).toEqual([1, 2])
    await settle(a, b)
    expect(atA).toEqual([])
    const reg = new Registry()
    b.registerMetrics(reg)
    expect(await reg.getSingleMetricAsString('tally_bus_awareness_total')).toMatch(/direction="in"} 1/)
  })

  it('[BUS6] /readyz check: a connected bus answers; a closed one fails with a reason', async () => {
    const a = await bus()
    await expect(a.readiness.check()).resolves.toBeUndefined()
    expect(a.readiness.name).toBe('nats')
    await a.close()
    await expect(a.readiness.check()).rejects.toThrow(/closed/)
  })
})

describe('NATS bus startup', () => {
  it('[BUS7] a NATS_URL nobody answers fails with one error naming NATS_URL and the cause', async () => {
    // A port that was free a moment ago: nobody listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const err = await connectNatsBus({ url: `nats://user:secret@127.0.0.1:${port}`, schema: 'public', instance: 'x', logger, connectTimeoutMs: 2000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NatsUnreachableError)
    const message = (err as Error).message
    expect(message).toMatch(/NATS_URL/)
    expect(message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`))
    expect(message).not.toMatch(/secret/)
    expect(message).not.toMatch(/\n/)
  })
})
