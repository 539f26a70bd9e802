/**
 * Garbage on the wire gets a typed error and costs nobody else anything: a healthy
 * client keeps editing and getting durable acks throughout. Seeded; the seed is printed
 * on failure and can be replayed with FUZZ_SEED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { CloseCode, Mux, encodeMux, uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { rawClient } from './helpers/raw-client.ts'

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TYPED = new Set<number>([CloseCode.malformed, CloseCode.tooLarge, CloseCode.forbidden, CloseCode.badDocName])

/** Send one message on a fresh connection; resolve with how the server answered. */
function hit(url: string, payload: Uint8Array): Promise<{ code: number | null; reason: string; errorFrames: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    let errorFrames = 0
    ws.on('message', (data: Buffer) => {
      const b = new Uint8Array(data)
      if (url.includes('/mux') && b[0] === Mux.error) errorFrames++
      if (!url.includes('/mux') && b[0] === 101) errorFrames++
    })
    ws.on('open', () => {
      ws.send(payload, (err) => {
        if (err) reject(err)
      })
      // Follow with a ping frame of our own: when its echo arrives the server has read our message.
      ws.send(encodeMux({ type: Mux.subscribe, docs: [] }))
    })
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), errorFrames }))
    ws.on('error', () => {})
    ws.on('message', (data: Buffer) => {
      const b = new Uint8Array(data)
      // Mux answers an empty subscribe with a batch; once seen, everything before it was handled.
      if (url.includes('/mux') && b[0] === Mux.batch) ws.close()
    })
  })
}

for (const backend of testBackends()) {
  describe(`fuzzing the relay on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    beforeAll(async () => {
      database = await backend.open()
      relay = await startTestRelay({ database })
    })
    afterAll(async () => {
      await relay.close()
      await database.cleanup()
    })

    it('[RLY5] random bytes, truncated frames, 5 MiB messages and unknown types get typed errors while others keep syncing', async () => {
      const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
      const rand = mulberry32(seed)
      const token = await relay.token()
      const healthyName = `store1/cart/${uuidv7()}`
      const healthy = await rawClient(`${relay.wsUrl}/sync/${healthyName}?token=${token}&acks=1`)
      await healthy.synced
      const valid = encodeMux({ type: Mux.update, doc: `store1/cart/${uuidv7()}`, updateId: 'u', update: Y.encodeStateAsUpdate(new Y.Doc()) })
      const cases: Array<{ what: string; bytes: () => Uint8Array; endpoint: 'sync' | 'mux' }> = [
        { what: 'random bytes', endpoint: 'mux', bytes: () => Uint8Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)) },
        { what: 'random bytes', endpoint: 'sync', bytes: () => Uint8Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)) },
        { what: 'truncated frame', endpoint: 'mux', bytes: () => valid.slice(0, Math.max(1, Math.floor(rand() * (valid.length - 1)))) },
        { what: 'unknown type', endpoint: 'mux', bytes: () => Uint8Array.from([40 + Math.floor(rand() * 80), 1, 2, 3]) },
        { what: 'unknown type', endpoint: 'sync', bytes: () => Uint8Array.from([4 + Math.floor(rand() * 90), 1, 2]) },
        { what: 'garbage update', endpoint: 'mux', bytes: () => encodeMux({ type: Mux.update, doc: `store1/cart/${uuidv7()}`, updateId: 'g', update: Uint8Array.from({ length: 30 }, () => Math.floor(rand() * 256)) }) },
      ]
      let edits = 0
      try {
        for (let round = 0; round < 40; round++) {
          const c = cases[Math.floor(rand() * cases.length)] as (typeof cases)[number]
          const name = c.endpoint === 'sync' ? `/sync/store1/cart/${uuidv7()}` : '/mux'
          const r = await hit(`${relay.wsUrl}${name}?token=${token}`, c.bytes())
          // Either the connection was closed with a typed code, or it answered with an error frame.
          const typed = (r.code !== null && TYPED.has(r.code)) || r.errorFrames > 0 || r.code === 1000 || r.code === 1005
          expect(typed, `${c.what} on ${c.endpoint}: close ${r.code} ${r.reason}`).toBe(true)
          // The healthy client is unaffected.
          const d = new Y.Doc()
          d.getMap('lines').set(`k${round}`, round)
          healthy.sendUpdate(Y.encodeStateAsUpdate(d))
          await healthy.waitAcks(++edits)
        }
        const big = await hit(`${relay.wsUrl}/mux?token=${token}`, new Uint8Array(5 * 1024 * 1024))
        expect(big.code).toBe(CloseCode.tooLarge)
        const d = new Y.Doc()
        d.getMap('lines').set('after-big', 1)
        healthy.sendUpdate(Y.encodeStateAsUpdate(d))
        await healthy.waitAcks(++edits)
      } catch (err) {
        console.error(`relay fuzz failed with FUZZ_SEED=${seed}`)
        throw err
      }
      healthy.close()
    })
  })
}
