/**
 * Two relays on one database, stock y-websocket clients on real sockets: a relay reads
 * from the log only rows of documents it holds, and a lost notification (the listening
 * connection dropped) costs a read, never a delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { sql } from 'drizzle-orm'
import { WebsocketProvider } from 'y-websocket'
import { uuidv7 } from '@tally/schema'
import { appendRows, createPgChangeFeed, createUpdateLog, openDatabase, parseLogNotice, query, type ChangeFeed, type Database } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { until } from './helpers/raw-client.ts'
import { startTcpProxy } from './helpers/tcp-proxy.ts'

function provider(relay: TestRelay, doc: string, token: string, ydoc = new Y.Doc()): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`${relay.wsUrl}/sync`, doc, ydoc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  return new Promise((resolve) => {
    if (p.synced) resolve(p)
    p.once('sync', () => resolve(p))
  })
}

async function counter(relay: TestRelay, name: 'catchupRows' | 'catchupBytes'): Promise<number> {
  return (await relay.relay.core.metrics[name].get()).values[0]?.value ?? 0
}

async function catchups(relay: TestRelay, reason: string): Promise<number> {
  return (await relay.relay.core.metrics.catchups.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0
}

async function logRows(database: Database, doc: string): Promise<{ n: number; bytes: number; top: number }> {
  const [r] = await query<{ n: unknown; b: unknown; top: unknown }>(
    database.db,
    sql`SELECT count(*) AS n, coalesce(sum(octet_length(bytes)), 0) AS b, coalesce(max(seq), 0) AS top FROM update_log WHERE doc = ${doc}`,
  )
  return { n: Number(r?.n ?? 0), bytes: Number(r?.b ?? 0), top: Number(r?.top ?? 0) }
}

/** ~2 KB of text no two edits share. */
const payload = (i: number) => `${i}:`.padEnd(2000, String.fromCharCode(97 + (i % 26)))

/** Wait until a notification of the log channel at or above `seq` reached this database's listening connection. */
async function heardUpTo(database: Database, channel: string, seq: () => Promise<number>): Promise<void> {
  let top = 0
  const unlisten = await database.listen(channel, (p) => {
    const n = parseLogNotice(p)
    if (n && n.maxSeq > top) top = n.maxSeq
  })
  try {
    // A marker row after subscribing: its notice follows every earlier one on the connection.
    const marker = await createUpdateLog(database, 'marker').append([{ doc: `store9/cart/${uuidv7()}`, store: 'store9', updateId: null, bytes: Y.encodeStateAsUpdate(new Y.Doc()), actor: 'test' }])
    const want = Math.max(await seq(), marker[0]?.seq ?? 0)
    await until(() => top >= want, 'the notices reached the second relay')
  } finally {
    await unlisten()
  }
}

for (const backend of testBackends()) {
  describe(`log fan-out on ${backend.name}`, () => {
    let database: TestDatabase
    /** Relay B's own connections (on PGlite one database serves both relays in this process). */
    let databaseB: Database
    beforeAll(async () => {
      database = await backend.open()
      databaseB = backend.name === 'postgres' ? await openDatabase({ url: database.reopen.url, schema: database.reopen.schema, max: 4 }) : database
    })
    afterAll(async () => {
      if (databaseB !== database) await databaseB.close()
      await database.cleanup()
    })

    it('[RLY70] a relay holding none of the written documents reads (almost) nothing of the log while another takes 300 updates of 2 KB', async () => {
      const a = await startTestRelay({ database })
      const b = await startTestRelay({ database: databaseB })
      // B serves a terminal of another store: it is up and following the log.
      const idle = await provider(b, `store2/cart/${uuidv7()}`, await b.token({ store: 'store2' }))
      const name = `store1/cart/${uuidv7()}`
      const writer = await provider(a, name, await a.token())
      const rowsBefore = await counter(b, 'catchupRows')
      const bytesBefore = await counter(b, 'catchupBytes')
      const notices: number[] = []
      const unlisten = await databaseB.listen(a.relay.core.log.channel, (p) => {
        const n = parseLogNotice(p)
        if (n?.origin === a.relay.core.origin) notices.push(n.maxSeq)
      })
      // One at a time, each committed and announced before the next: 300 notices for B.
      for (let i = 0; i < 300; i++) {
        writer.doc.getMap('m').set(`k${i % 50}`, payload(i))
        await until(() => notices.length > i, `the notice of update ${i}`)
      }
      const written = await logRows(database, name)
      expect(written.n).toBe(300)
      await heardUpTo(databaseB, a.relay.core.log.channel, async () => written.top)
      await b.relay.core.registry.catchUp()
      await unlisten()
      const readRows = (await counter(b, 'catchupRows')) - rowsBefore
      const readBytes = (await counter(b, 'catchupBytes')) - bytesBefore
      console.info(`[RLY70] ${backend.name}: A wrote ${written.n} rows, ${written.bytes} bytes; idle B heard ${notices.length} notices, read ${readRows} rows, ${readBytes} bytes`)
      expect(notices.length).toBe(300)
      expect(readBytes).toBeLessThan(written.bytes / 100)
      writer.destroy()
      idle.destroy()
      await a.close()
      await b.close()
    })

    it('[RLY71] a relay holding the document reads the other relay\'s rows and its client gets every edit', async () => {
      const a = await startTestRelay({ database })
      const b = await startTestRelay({ database: databaseB })
      const name = `store1/cart/${uuidv7()}`
      const writer = await provider(a, name, await a.token())
      const reader = await provider(b, name, await b.token({ sub: 'term-2' }))
      const bytesBefore = await counter(b, 'catchupBytes')
      const rowsBefore = await counter(b, 'catchupRows')
      for (let i = 0; i < 300; i++) writer.doc.getMap('m').set(`k${i}`, payload(i))
      await until(() => reader.doc.getMap('m').size === 300, 'every edit at the client of B', 60_000)
      const written = await logRows(database, name)
      const readRows = (await counter(b, 'catchupRows')) - rowsBefore
      const readBytes = (await counter(b, 'catchupBytes')) - bytesBefore
      console.info(`[RLY71] ${backend.name}: A wrote ${written.n} rows, ${written.bytes} bytes; B holding the document read ${readRows} rows, ${readBytes} bytes`)
      expect(readRows).toBeGreaterThanOrEqual(written.n)
      expect(readBytes).toBeGreaterThanOrEqual(written.bytes)
      writer.destroy()
      reader.destroy()
      await a.close()
      await b.close()
    })

    it('[RLY76] a commit naming too many documents for one notice still reaches a relay holding one of them, by a read of its held documents only', async () => {
      const b = await startTestRelay({ database: databaseB })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const gapsBefore = await catchups(b, 'gap')
      const rowsBefore = await counter(b, 'catchupRows')
      const edit = new Y.Doc()
      edit.getMap('m').set('among', 'many')
      const others = Array.from({ length: 300 }, () => ({ doc: `store1/cart/${uuidv7()}`, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(new Y.Doc()), actor: 'test' }))
      await createUpdateLog(database, 'relay-a').append([...others, { doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(edit), actor: 'test' }])
      await until(() => reader.doc.getMap('m').get('among') === 'many', 'the row at the client of B')
      expect(await catchups(b, 'gap')).toBeGreaterThan(gapsBefore)
      // Only the held document's row was read, not the 300 others.
      expect((await counter(b, 'catchupRows')) - rowsBefore).toBe(1)
      reader.destroy()
      await b.close()
    })

    it('[RLY73] with every notice lost, the periodic check still delivers another process\'s row to a held document', async () => {
      // A feed that hears nothing: the check alone must bring the row.
      const deaf: ChangeFeed = { watch() {}, unwatch() {}, onChange: () => () => {}, onGap: () => () => {}, announce() {}, close: async () => {} }
      const b = await startTestRelay({ database: databaseB, feed: deaf, logCheckMs: 200 })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const other = new Y.Doc()
      other.getMap('m').set('from', 'elsewhere')
      await createUpdateLog(database, 'another-process').append([{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(other), actor: 'test' }])
      await until(() => reader.doc.getMap('m').get('from') === 'elsewhere', 'the row at the client of B')
      expect(await catchups(b, 'check')).toBeGreaterThan(0)
      reader.destroy()
      await b.close()
    })

    it.runIf(backend.name === 'postgres')('[RLY72] a dropped LISTEN connection loses no delivery: a row committed while it was down reaches the client without any other write', async () => {
      // B reaches Postgres through a proxy that can hold its reconnect back, so the row
      // is committed while B has no listening connection at all.
      const url = new URL(database.reopen.url as string)
      const proxy = await startTcpProxy(Number(url.port || 5432))
      url.port = String(proxy.port)
      const viaProxy = await openDatabase({ url: url.toString(), schema: database.reopen.schema, max: 4 })
      // B's feed is the stock Postgres one, wrapped to see which notices it heard.
      const heard = new Set<number>()
      const pg = createPgChangeFeed(viaProxy)
      pg.onChange((cs) => {
        for (const c of cs) heard.add(c.seq)
      })
      await pg.ready
      const b = await startTestRelay({ database: viaProxy, feed: pg, logCheckMs: 3_600_000 })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const listenPids = async () =>
        (
          await query<{ pid: number }>(
            database.db,
            sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${`tally/${database.reopen.schema}`} AND query ILIKE 'listen%'`,
          )
        ).map((r) => r.pid)
      for (let round = 0; round < 2; round++) {
        // The only listening connection in this schema is B's (no other relay runs).
        let pids: number[] = []
        await until(async () => (pids = await listenPids()).length === 1, 'B listening')
        const gapsBefore = await catchups(b, 'gap')
        proxy.set('stall')
        await database.db.execute(sql`SELECT pg_terminate_backend(${pids[0]}::int, 5000)`)
        const edit = new Y.Doc()
        edit.getMap('m').set(`round${round}`, 'while down')
        const [r] = await createUpdateLog(database, 'relay-a').append([{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(edit), actor: 'test' }])
        proxy.heal()
        await until(() => reader.doc.getMap('m').get(`round${round}`) === 'while down', 'the row at the client of B')
        // Its notice was lost for real; the reconnect's catch-up brought the row.
        expect(heard.has(r?.seq as number)).toBe(false)
        expect(await catchups(b, 'gap')).toBeGreaterThan(gapsBefore)
      }
      reader.destroy()
      await b.close()
      await pg.close()
      await viaProxy.close()
      await proxy.close()
    })

    it.runIf(backend.name === 'postgres')('[RLY75] a listener cut off from the database listens again once it is back, and a row written meanwhile still arrives', async () => {
      const url = new URL(database.reopen.url as string)
      const proxy = await startTcpProxy(Number(url.port || 5432))
      url.port = String(proxy.port)
      const viaProxy = await openDatabase({ url: url.toString(), schema: database.reopen.schema, max: 4 })
      const pg = createPgChangeFeed(viaProxy, { probeMs: 200 })
      await pg.ready
      const b = await startTestRelay({ database: viaProxy, feed: pg, logCheckMs: 3_600_000 })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const gapsBefore = await catchups(b, 'gap')
      const accepted = proxy.accepted
      // Cut: the listening connection dies and its reconnect is refused until heal.
      proxy.set('cut')
      await until(() => proxy.accepted > accepted, 'the re-listen attempt refused')
      const edit = new Y.Doc()
      edit.getMap('m').set('after', 'the cut')
      await createUpdateLog(database, 'relay-a').append([{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(edit), actor: 'test' }])
      proxy.heal()
      await until(() => reader.doc.getMap('m').get('after') === 'the cut', 'the row at the client of B')
      expect(await catchups(b, 'gap')).toBeGreaterThan(gapsBefore)
      // And it hears notices again: the next row comes by its notice, not by a check.
      const more = new Y.Doc()
      more.getMap('m').set('later', 1)
      await createUpdateLog(database, 'relay-a').append([{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(more), actor: 'test' }])
      await until(() => reader.doc.getMap('m').get('later') === 1, 'the next row at the client of B')
      reader.destroy()
      await b.close()
      await pg.close()
      await viaProxy.close()
      await proxy.close()
    })

    it.runIf(backend.name === 'postgres')('[RLY77] a row committed late while the listener was down, below a row a gap read already applied, still arrives', async () => {
      const url = new URL(database.reopen.url as string)
      const proxy = await startTcpProxy(Number(url.port || 5432))
      url.port = String(proxy.port)
      const viaProxy = await openDatabase({ url: url.toString(), schema: database.reopen.schema, max: 4 })
      const b = await startTestRelay({ database: viaProxy, logCheckMs: 3_600_000 })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const listenPid = async () => {
        let pids: number[] = []
        await until(async () => {
          pids = (
            await query<{ pid: number }>(
              database.db,
              sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${`tally/${database.reopen.schema}`} AND query ILIKE 'listen%'`,
            )
          ).map((r) => r.pid)
          return pids.length === 1
        }, 'B listening')
        return pids[0] as number
      }
      /** Run `write` while B has no listening connection, then let it reconnect. */
      const whileDown = async (write: () => Promise<unknown>) => {
        const pid = await listenPid()
        proxy.set('stall')
        await database.db.execute(sql`SELECT pg_terminate_backend(${pid}::int, 5000)`)
        await write()
        proxy.heal()
      }
      const update = (key: string) => {
        const d = new Y.Doc()
        d.getMap('m').set(key, 1)
        return Y.encodeStateAsUpdate(d)
      }
      // The late row takes its sequence first and stays uncommitted.
      let release: () => void = () => {}
      const gate = new Promise<void>((r) => (release = r))
      let inserted: () => void = () => {}
      const insertedP = new Promise<void>((r) => (inserted = r))
      const lateTx = database.db.transaction(async (tx) => {
        const [r] = await appendRows(tx, database.schema, 'relay-late', [{ doc: name, store: 'store1', updateId: null, bytes: update('late'), actor: 'test' }])
        inserted()
        await gate
        return r?.seq as number
      })
      await insertedP
      let earlySeq = 0
      await whileDown(async () => {
        earlySeq = (await createUpdateLog(database, 'relay-early').append([{ doc: name, store: 'store1', updateId: null, bytes: update('early'), actor: 'test' }]))[0]?.seq ?? 0
      })
      // The gap read after the reconnect applied the early row, above the late one's sequence.
      await until(() => reader.doc.getMap('m').get('early') === 1, 'the early row at B')
      let lateSeq = 0
      await whileDown(async () => {
        release()
        lateSeq = await lateTx
      })
      expect(lateSeq).toBeLessThan(earlySeq)
      await until(() => reader.doc.getMap('m').get('late') === 1, 'the late row at B')
      reader.destroy()
      await b.close()
      await viaProxy.close()
      await proxy.close()
    })

    it.runIf(backend.name === 'postgres')('[RLY74] a row committed late below rows already applied still reaches a relay holding its document', async () => {
      const b = await startTestRelay({ database: databaseB })
      const name = `store1/cart/${uuidv7()}`
      const reader = await provider(b, name, await b.token())
      const late = new Y.Doc()
      late.getMap('m').set('late', 1)
      const early = new Y.Doc()
      early.getMap('m').set('early', 1)
      let release: () => void = () => {}
      const gate = new Promise<void>((r) => (release = r))
      let inserted: () => void = () => {}
      const insertedP = new Promise<void>((r) => (inserted = r))
      // The late row takes its sequence first and commits last.
      const lateTx = database.db.transaction(async (tx) => {
        const [r] = await appendRows(tx, database.schema, 'relay-late', [{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(late), actor: 'test' }])
        inserted()
        await gate
        return r?.seq as number
      })
      await insertedP
      const [e] = await createUpdateLog(database, 'relay-early').append([{ doc: name, store: 'store1', updateId: null, bytes: Y.encodeStateAsUpdate(early), actor: 'test' }])
      await until(() => reader.doc.getMap('m').get('early') === 1, 'the early row at B')
      release()
      const lateSeq = await lateTx
      expect(lateSeq).toBeLessThan(e?.seq as number)
      await until(() => reader.doc.getMap('m').get('late') === 1, 'the late row at B')
      reader.destroy()
      await b.close()
    })
  })
}
