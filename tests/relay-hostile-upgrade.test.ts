/**
 * Anyone who reaches the port can send an upgrade request: nothing in its path, query
 * or headers may throw out of the upgrade path (that ended the process), every refusal
 * is typed and has an audit row in the scope of the store it names (or the operator's
 * global log), and the relay goes on serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq, isNull } from 'drizzle-orm'
import { CloseCode, ErrorCode, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { rawClient } from './helpers/raw-client.ts'
import { rawUpgrade } from './helpers/raw-upgrade.ts'

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

for (const backend of testBackends()) {
  describe(`hostile upgrade requests on ${backend.name}`, () => {
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

    async function refusals(code: string) {
      await relay.relay.core.audit.flush()
      return database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.code, code)))
    }
    async function healthy() {
      const r = await fetch(`${relay.httpUrl}/healthz`)
      return r.status === 200
    }

    it('[RLY16] an upgrade to /sync/% (a broken percent-escape) is answered 400 bad_doc_name with an audit row, and the relay stays up', async () => {
      const r = await rawUpgrade(relay.port, '/sync/%')
      expect(r.status).toBe(400)
      expect(r.head).toContain(ErrorCode.badDocName)
      expect(await healthy()).toBe(true)
      const rows = await refusals(ErrorCode.badDocName)
      expect(rows.some((row) => row.doc === '%' && row.store === null && row.actor === 'anonymous')).toBe(true)
    })

    it('[RLY16] a broken escape after a valid store id is refused and its audit row goes to that store', async () => {
      const r = await rawUpgrade(relay.port, '/sync/store1/cart/%E0%A4%A')
      expect(r.status).toBe(400)
      const rows = await refusals(ErrorCode.badDocName)
      expect(rows.filter((row) => row.store === 'store1' && row.doc === 'store1/cart/%E0%A4%A')).toHaveLength(1)
    })

    it('[RLY16] seeded hostile targets, queries and headers never take the relay down; each gets an HTTP answer or a typed close', async () => {
      const seed = Number(process.env.FUZZ_SEED ?? 16_2026)
      const rand = mulberry32(seed)
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
      const pieces = ['%', '%%', '%zz', '%E0%A4%A', '%00', '%C0%AF', '%F0%9F', '..', '/', '\u00ff', 'store1', 'cart', 'ticket', uuidv7(), '?', '#', '&token=%', ';', '%2F', '%u0000']
      const prefixes = ['/sync/', '/sync/store1/', '/mux', '/mux/', '/syncx/', '//sync/', '/sync', '/api/v1/live', '/']
      const queries = ['', '?token=%', '?token=%ZZ&acks=%', '?acks=1&acks=%00', '?token=' + 'x'.repeat(3000), '?=&=&&', '?%']
      try {
        for (let i = 0; i < 60; i++) {
          let path = pick(prefixes)
          const n = Math.floor(rand() * 4)
          for (let k = 0; k < n; k++) path += pick(pieces)
          const target = path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c).replace(/%25/g, '%')) + pick(queries)
          const omit = rand() < 0.2 ? [pick(['Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Upgrade', 'Host'])] : []
          const headers: Record<string, string> = rand() < 0.2 ? { 'Sec-WebSocket-Protocol': pick(['\u0000', 'a,,b', ' ']), Origin: pick(['null', '%', 'http://[']) } : {}
          const r = await rawUpgrade(relay.port, target, { omit, headers }).catch((err: Error) => ({ status: null, head: err.message }))
          // 101 (then a typed close for a bad token), or a 4xx answer; never silence or a crash.
          expect(r.status === 101 || (r.status !== null && r.status >= 400 && r.status < 500), `${target}: ${r.head}`).toBe(true)
        }
        // An absolute-form target longer than any real one.
        expect((await rawUpgrade(relay.port, `/sync/${'a'.repeat(9000)}`)).status).toBe(400)
        expect(await healthy()).toBe(true)
      } catch (err) {
        console.error(`hostile upgrade test failed with FUZZ_SEED=${seed}`)
        throw err
      }
    })

    it('[RLY16] a refusal quoting a long non-ASCII document name still closes with its typed code (close reasons are cut to 123 bytes)', async () => {
      const name = `store1/${'é'.repeat(100)}`
      const c = await rawClient(`${relay.wsUrl}/sync/${encodeURIComponent(name)}?token=${await relay.token()}`)
      const closed = await c.closed
      expect(closed.code).toBe(CloseCode.badDocName)
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123)
      expect(await healthy()).toBe(true)
    })

    it('[RLY16] a message over the size limit is audited as too_large for the store of the token that sent it', async () => {
      const name = `store1/cart/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${await relay.token({ sub: 'big-1' })}`)
      await c.synced
      c.sendRaw(new Uint8Array(1024 * 1024 + 10))
      expect((await c.closed).code).toBe(CloseCode.tooLarge)
      const rows = (await refusals(ErrorCode.tooLarge)).filter((r) => r.doc === name)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ store: 'store1', actor: 'terminal:big-1' })
    })

    it('[RLY16] a missing token on /sync/{doc} is audited in the scope of the store the name targets; on /mux in the global log', async () => {
      const name = `store7/ticket/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}`)
      expect((await c.closed).code).toBe(CloseCode.unauthorized)
      const rows = (await refusals(ErrorCode.missingToken)).filter((r) => r.doc === name)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ store: 'store7', actor: 'anonymous' })
      expect(rows[0]!.detail).toMatchObject({ authenticated: false })

      const global = async () => {
        await relay.relay.core.audit.flush()
        return database.db
          .select()
          .from(tables.audit)
          .where(and(eq(tables.audit.code, ErrorCode.badToken), isNull(tables.audit.store)))
      }
      const before = (await global()).length
      const m = await rawClient(`${relay.wsUrl}/mux?token=not-a-jwt`)
      expect((await m.closed).code).toBe(CloseCode.unauthorized)
      expect((await global()).length).toBe(before + 1)
    })
  })
}

const DOOMED = 'store1/cart/0190a6a0-0000-7000-8000-000000000001'

for (const backend of testBackends()) {
  describe(`a bug on one connection on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    beforeAll(async () => {
      database = await backend.open()
      // A log that throws synchronously (a bug, not a rejection) for one document.
      relay = await startTestRelay({
        database,
        wrapLog: (log) => ({
          ...log,
          channel: log.channel,
          append(batch) {
            if (batch.some((b) => b.doc === DOOMED)) throw new Error('bug in append')
            return log.append(batch)
          },
        }),
      })
    })
    afterAll(async () => {
      await relay.close()
      await database.cleanup()
    })

    it('[RLY16] an unexpected error while serving one connection closes that connection only; the relay and others go on', async () => {
      const token = await relay.token()
      const doomed = await rawClient(`${relay.wsUrl}/sync/${DOOMED}?token=${token}&acks=1`)
      await doomed.synced
      const healthyName = `store1/cart/${uuidv7()}`
      const fine = await rawClient(`${relay.wsUrl}/sync/${healthyName}?token=${token}&acks=1`)
      await fine.synced
      const { Doc, encodeStateAsUpdate } = await import('yjs')
      const edit = () => {
        const d = new Doc()
        d.getMap('lines').set('x', 1)
        return encodeStateAsUpdate(d)
      }
      doomed.sendUpdate(edit())
      expect((await doomed.closed).code).toBe(CloseCode.serverRestart)
      fine.sendUpdate(edit())
      await fine.waitAcks(1)
      expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200)
      fine.close()
    })
  })
}
