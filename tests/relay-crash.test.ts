/**
 * A relay killed with SIGKILL loses nothing it acknowledged or relayed: 8 writers stream
 * edits, an observer records what was relayed, the process dies mid-stream, and a
 * fresh relay on the same data serves every one of them back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { uuidv7 } from '@tally/schema'
import { dropSchema } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import { rawClient, type RawClient } from './helpers/raw-client.ts'
import { SPAWN_SECRET, spawnRelay } from './helpers/spawn-relay.ts'

const WRITERS = 8
const KILL_AFTER_ACKS = 400

const backends: Array<{ name: string; env: () => Record<string, string>; cleanup: () => Promise<void> }> = []
{
  const dir = mkdtempSync(join(tmpdir(), 'tally-crash-'))
  backends.push({ name: 'pglite', env: () => ({ DATA_DIR: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) })
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const schema = `t_crash_${process.pid}`
    backends.push({ name: 'postgres', env: () => ({ DATABASE_URL: url, DATABASE_SCHEMA: schema }), cleanup: () => dropSchema(url, schema) })
  }
}

for (const backend of backends) {
  describe(`relay crash on ${backend.name}`, () => {
    afterAll(() => backend.cleanup())

    it('[RLY6] SIGKILL while 8 writers stream: every update acknowledged or relayed before the kill is there after restart', async () => {
      const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'crash' })
      const name = `store1/cart/${uuidv7()}`
      let relay = await spawnRelay(backend.env())
      const observer = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
      await observer.synced
      const writers: RawClient[] = []
      for (let w = 0; w < WRITERS; w++) {
        const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
        await c.synced
        writers.push(c)
      }
      // Each writer streams edits without waiting; acks come back in send order.
      const sent: string[][] = writers.map(() => [])
      let killed = false
      const totalAcks = () => writers.reduce((s, c) => s + c.acks.length, 0)
      const pump = writers.map(async (c, w) => {
        const d = new Y.Doc()
        let sv = Y.encodeStateVector(d)
        for (let i = 0; i < 2000 && !killed; i++) {
          const key = `w${w}-${i}`
          d.getMap('lines').set(key, i)
          const u = Y.encodeStateAsUpdate(d, sv)
          sv = Y.encodeStateVector(d)
          sent[w]?.push(key)
          if (c.ws.readyState !== c.ws.OPEN) break
          c.sendUpdate(u)
          // Keep a bounded window in flight so the stream is continuous but not unbounded.
          if (i - c.acks.length > 20) {
            const alive = await c.waitAcks(i - 20).then(() => true, () => false)
            if (!alive) break
          }
        }
      })
      await new Promise<void>((resolve) => {
        const check = () => (totalAcks() >= KILL_AFTER_ACKS ? resolve() : setImmediate(check))
        check()
      })
      const ackedAtKill = writers.map((c) => c.acks.length)
      const relayedAtKill = new Set(Object.keys(observer.doc.getMap('lines').toJSON()))
      await relay.kill('SIGKILL')
      killed = true
      await Promise.all(pump.map((p) => p.catch(() => {})))
      for (const c of writers) await c.closed
      await observer.closed
      // Acks that arrived between the snapshot above and the kill count too.
      const acked = writers.flatMap((c, w) => (sent[w] ?? []).slice(0, Math.max(c.acks.length, ackedAtKill[w] ?? 0)))
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS)

      relay = await spawnRelay(backend.env())
      const fresh = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
      await fresh.synced
      const have = new Set(Object.keys(fresh.doc.getMap('lines').toJSON()))
      const lostAcked = acked.filter((k) => !have.has(k))
      const lostRelayed = [...relayedAtKill].filter((k) => !have.has(k))
      expect(lostAcked).toEqual([])
      expect(lostRelayed).toEqual([])
      fresh.close()
      await relay.kill('SIGTERM')
    }, 240_000)
  })
}
