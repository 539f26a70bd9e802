/** The contract every UpdateLog implementation must keep, run once per backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { TestBackend, TestDatabase } from './testing.ts'
import {
  advanceCheckpoint,
  appendRows,
  createLogTail,
  createPgChangeFeed,
  createUpdateLog,
  docExists,
  docsOfStore,
  lagSince,
  NOTIFY_MAX_BYTES,
  parseLogNotice,
  readCheckpoint,
  readDocsFrom,
  readDocsSince,
  StaleCheckpointError,
  writeCheckpoint,
  type UpdateLog,
} from './log/index.ts'
import type { LogChange } from './log-changes.ts'

export function updateLogContract(backend: TestBackend): void {
  describe(`update log contract on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    // One database per suite (PGlite takes seconds to start); tests use their own docs.
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'node-a')
    })
    afterAll(async () => {
      await database.cleanup()
    })

    const update = (text: string) => {
      const d = new Y.Doc()
      d.getText('t').insert(0, text)
      return Y.encodeStateAsUpdate(d)
    }

    it('[LOG1] appends a batch in one transaction with increasing sequences in input order', async () => {
      const res = await log.append([
        { doc: 's/cart/l1', store: 's', updateId: 'u1', bytes: update('a'), actor: 't1' },
        { doc: 's/cart/l2', store: 's', updateId: null, bytes: update('b'), actor: 't1' },
        { doc: 's/cart/l1', store: 's', updateId: 'u2', bytes: update('c'), actor: 't2' },
      ])
      expect(res.map((r) => r.duplicate)).toEqual([false, false, false])
      const seqs = res.map((r) => r.seq)
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
      expect(new Set(seqs).size).toBe(3)
      expect(await log.maxSeq()).toBe(seqs[2])
    })

    it('[LOG2] a resent update id is not appended twice and answers the first sequence', async () => {
      const [first] = await log.append([{ doc: 's/cart/a', store: 's', updateId: 'u1', bytes: update('a'), actor: 't' }])
      const again = await log.append([
        { doc: 's/cart/a', store: 's', updateId: 'u1', bytes: update('a'), actor: 't' },
        { doc: 's/cart/a', store: 's', updateId: 'u9', bytes: update('z'), actor: 't' },
        { doc: 's/cart/a', store: 's', updateId: 'u9', bytes: update('z'), actor: 't' },
      ])
      expect(again[0]).toEqual({ seq: first?.seq, duplicate: true })
      expect(again[1]?.duplicate).toBe(false)
      expect(again[2]).toEqual({ seq: again[1]?.seq, duplicate: true })
      const rows = (await log.readSince(0, 1000)).filter((r) => r.doc === 's/cart/a')
      expect(rows.map((r) => r.updateId)).toEqual(['u1', 'u9'])
    })

    it('[LOG3] loads a document from its snapshot plus later entries, and prunes only what the snapshot covers', async () => {
      const doc = new Y.Doc()
      const bytes: Uint8Array[] = []
      doc.on('update', (u: Uint8Array) => bytes.push(u))
      for (let i = 0; i < 5; i++) doc.getArray('a').push([i])
      const res = await log.append(bytes.map((b, i) => ({ doc: 's/cart/x', store: 's', updateId: `u${i}`, bytes: b, actor: 't' })))
      const third = res[2]?.seq as number
      const partial = new Y.Doc()
      for (const b of bytes.slice(0, 3)) Y.applyUpdate(partial, b)
      await log.writeSnapshots([{ doc: 's/cart/x', store: 's', bytes: Y.encodeStateAsUpdate(partial), uptoSeq: third }])
      expect(await log.prune([{ doc: 's/cart/x', uptoSeq: Number.MAX_SAFE_INTEGER }])).toBe(3)
      const stored = await log.loadDoc('s/cart/x')
      expect(stored.entries.length).toBe(2)
      const loaded = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(loaded, stored.snapshot)
      for (const e of stored.entries) Y.applyUpdate(loaded, e.bytes)
      expect(loaded.getArray('a').toArray()).toEqual([0, 1, 2, 3, 4])
      expect(stored.lastSeq).toBe(res[4]?.seq)
    })

    it('[LOG7] snapshots and prunes many documents in one call, each within its own snapshot; a snapshot never moves back', async () => {
      const names = ['s/cart/p1', 's/cart/p2', 's/cart/p3-nosnap']
      const seqs = new Map<string, number[]>()
      for (const name of names) {
        const res = await log.append([0, 1, 2].map((k) => ({ doc: name, store: 's', updateId: `${name}-${k}`, bytes: update(`${name}${k}`), actor: 't' })))
        seqs.set(name, res.map((r) => r.seq))
      }
      const state = async (name: string, upto: number) => {
        const d = new Y.Doc()
        for (const e of (await log.loadDoc(name)).entries) if (e.seq <= upto) Y.applyUpdate(d, e.bytes)
        return Y.encodeStateAsUpdate(d)
      }
      const p1 = seqs.get('s/cart/p1') as number[]
      const p2 = seqs.get('s/cart/p2') as number[]
      await log.writeSnapshots([
        { doc: 's/cart/p1', store: 's', bytes: await state('s/cart/p1', p1[2] as number), uptoSeq: p1[2] as number },
        { doc: 's/cart/p2', store: 's', bytes: await state('s/cart/p2', p2[0] as number), uptoSeq: p2[0] as number },
      ])
      // An older snapshot arriving late does not replace the newer one.
      await log.writeSnapshots([{ doc: 's/cart/p1', store: 's', bytes: await state('s/cart/p1', p1[0] as number), uptoSeq: p1[0] as number }])
      // p1: its snapshot covers all three, the caller allows two; p2: the snapshot covers one; p3: no snapshot.
      const gone = await log.prune([
        { doc: 's/cart/p1', uptoSeq: p1[1] as number },
        { doc: 's/cart/p2', uptoSeq: Number.MAX_SAFE_INTEGER },
        { doc: 's/cart/p3-nosnap', uptoSeq: Number.MAX_SAFE_INTEGER },
      ])
      expect(gone).toBe(3)
      expect((await log.loadDoc('s/cart/p1')).snapshotSeq).toBe(p1[2])
      expect((await log.loadDoc('s/cart/p3-nosnap')).entries).toHaveLength(3)
      for (const name of names) {
        const stored = await log.loadDoc(name)
        const d = new Y.Doc()
        if (stored.snapshot) Y.applyUpdate(d, stored.snapshot)
        for (const e of stored.entries) Y.applyUpdate(d, e.bytes)
        expect(d.getText('t').toString().length).toBe(3 * name.length + 3)
      }
    })

    it('[LOG6] loads many documents at once, each equal to loading it alone', async () => {
      const names = ['s/cart/m1', 's/cart/m2', 's/cart/m3-empty']
      for (const [i, name] of names.slice(0, 2).entries()) {
        await log.append([0, 1, 2].map((k) => ({ doc: name, store: 's', updateId: `m${i}-${k}`, bytes: update(`${name}${k}`), actor: 't' })))
      }
      const first = await log.loadDoc('s/cart/m1')
      await log.writeSnapshots([{ doc: 's/cart/m1', store: 's', bytes: first.entries[0]?.bytes as Uint8Array, uptoSeq: first.entries[0]?.seq as number }])
      const many = await log.loadDocs(names)
      for (const name of names) {
        const one = await log.loadDoc(name)
        expect(many.get(name)).toEqual(one)
      }
      expect(many.get('s/cart/m3-empty')?.lastSeq).toBe(0)
    })

    it('[LOG4] notifies the log channel after commit with the writer, the highest sequence and each document with its lowest sequence', async () => {
      const got: string[] = []
      const unlisten = await database.listen(log.channel, (p) => got.push(p))
      try {
        // Listening is asynchronous on both drivers; append until a notification lands.
        const res: number[] = []
        let n = 0
        while (got.length === 0 && n < 50) {
          const r = await log.append([
            { doc: 's/cart/n1', store: 's', updateId: `n${n}`, bytes: update('n'), actor: 't' },
            { doc: 's/cart/n2', store: 's', updateId: `n${n}`, bytes: update('n'), actor: 't' },
            { doc: 's/cart/n1', store: 's', updateId: `n${n}b`, bytes: update('n'), actor: 't' },
          ])
          res.push(...r.map((x) => x.seq))
          n++
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        const notice = parseLogNotice(got[0] as string)
        expect(notice?.origin).toBe('node-a')
        const last = res.slice(-3)
        // The first notice to land may be an earlier append's: the last append's own
        // notice is still on its way (delivery is asynchronous). Wait for it, bounded.
        const deadline = Date.now() + 10_000
        while (!got.some((p) => parseLogNotice(p)?.maxSeq === last[2]) && Date.now() < deadline) {
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        const payloads = got.map((p) => parseLogNotice(p))
        const lastNotice = payloads.find((p) => p?.maxSeq === last[2])
        expect(lastNotice?.docs).toEqual({ 's/cart/n1': [last[0], last[2]], 's/cart/n2': [last[1], last[1]] })
      } finally {
        await unlisten()
      }
    })

    it('[LOG8] appends inside a caller transaction: a rollback leaves no row and sends no notification; a commit notifies once', async () => {
      const got: string[] = []
      const unlisten = await database.listen(log.channel, (p) => got.push(p))
      try {
        await expect(
          database.db.transaction(async (tx) => {
            const [r] = await appendRows(tx, database.schema, 'api:x', [{ doc: 's/cart/tx1', store: 's', updateId: 'k1', bytes: update('r'), actor: 't' }])
            expect(r?.duplicate).toBe(false)
            throw new Error('roll back')
          }),
        ).rejects.toThrow('roll back')
        expect(await docExists(database.db, 's/cart/tx1')).toBe(false)
        const seq = await database.db.transaction(async (tx) => {
          const [a] = await appendRows(tx, database.schema, 'api:x', [{ doc: 's/cart/tx1', store: 's', updateId: 'k1', bytes: update('c'), actor: 't' }])
          const [again] = await appendRows(tx, database.schema, 'api:x', [{ doc: 's/cart/tx1', store: 's', updateId: 'k1', bytes: update('c'), actor: 't' }])
          expect(again).toEqual({ seq: a?.seq, duplicate: true })
          return a?.seq as number
        })
        // A later marker append: once its notice is here, every earlier one is too (commit order).
        let marker = 0
        while (!got.some((p) => parseLogNotice(p)?.maxSeq === marker)) {
          marker = (await log.append([{ doc: 's/cart/tx-marker', store: 's', updateId: null, bytes: update('m'), actor: 't' }]))[0]?.seq ?? 0
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        const mine = got.map((p) => parseLogNotice(p)).filter((p) => p?.origin === 'api:x')
        expect(mine).toEqual([{ origin: 'api:x', maxSeq: seq, docs: { 's/cart/tx1': [seq, seq] } }])
        expect(await docExists(database.db, 's/cart/tx1')).toBe(true)
      } finally {
        await unlisten()
      }
    })

    it('[LOG9] a commit naming too many documents for one notification says "many" instead, under the 8000-byte limit', async () => {
      const got: string[] = []
      const unlisten = await database.listen(log.channel, (p) => got.push(p))
      try {
        const names = Array.from({ length: 300 }, (_, i) => `s/cart/many-${String(i).padStart(40, '0')}`)
        let top = 0
        while (!got.some((p) => (parseLogNotice(p)?.maxSeq ?? 0) >= top && top > 0)) {
          const res = await log.append(names.map((doc) => ({ doc, store: 's', updateId: null, bytes: update('x'), actor: 't' })))
          top = Math.max(...res.map((r) => r.seq))
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        const p = got.find((x) => parseLogNotice(x)?.maxSeq === top) as string
        expect(Buffer.byteLength(p)).toBeLessThan(NOTIFY_MAX_BYTES)
        expect(parseLogNotice(p)).toEqual({ origin: 'node-a', maxSeq: top, docs: null })
      } finally {
        await unlisten()
      }
    })

    it('[LOG10] reads rows of given documents only: since a sequence (up to a bound, without an origin) and from per-document sequences', async () => {
      const other = createUpdateLog(database, 'node-b')
      const a1 = await log.append([{ doc: 's/cart/r1', store: 's', updateId: null, bytes: update('a'), actor: 't' }])
      const b = await other.append([
        { doc: 's/cart/r1', store: 's', updateId: null, bytes: update('b'), actor: 't' },
        { doc: 's/cart/r2', store: 's', updateId: null, bytes: update('c'), actor: 't' },
        { doc: 's/cart/r3', store: 's', updateId: null, bytes: update('d'), actor: 't' },
      ])
      const seqB = b.map((r) => r.seq)
      const since = await readDocsSince(database.db, ['s/cart/r1', 's/cart/r2'], { after: (a1[0]?.seq as number) - 1, exceptOrigin: 'node-a' })
      expect(since.map((r) => [r.doc, r.seq])).toEqual([['s/cart/r1', seqB[0]], ['s/cart/r2', seqB[1]]])
      const bounded = await readDocsSince(database.db, ['s/cart/r1', 's/cart/r2'], { after: 0, upto: seqB[0] as number, exceptOrigin: 'node-a' })
      expect(bounded.map((r) => r.seq)).toEqual([seqB[0]])
      expect(await readDocsSince(database.db, [], { after: 0, exceptOrigin: 'x' })).toEqual([])
      const from = await readDocsFrom(database.db, [{ doc: 's/cart/r3', seq: seqB[2] as number }, { doc: 's/cart/r1', seq: seqB[0] as number }], 'node-a')
      expect(from.map((r) => [r.doc, r.seq])).toEqual([['s/cart/r1', seqB[0]], ['s/cart/r3', seqB[2]]])
      const ranged = await readDocsFrom(database.db, [{ doc: 's/cart/r1', seq: 0, upto: (seqB[0] as number) - 1 }, { doc: 's/cart/r2', seq: seqB[1] as number, upto: seqB[1] as number }], 'node-x')
      expect(ranged.map((r) => [r.doc, r.seq])).toEqual([['s/cart/r1', a1[0]?.seq], ['s/cart/r2', seqB[1]]])
      expect(from.every((r) => r.bytes instanceof Uint8Array && r.bytes.length > 0)).toBe(true)
      expect(await docsOfStore(database.db, 's')).toEqual(expect.arrayContaining(['s/cart/r1', 's/cart/r2', 's/cart/r3']))
    })

    it('[LOG11] checkpoints: read as 0 when absent, written never backwards, advanced only from the value read', async () => {
      expect(await readCheckpoint(database.db, 'c-log11')).toBe(0)
      await writeCheckpoint(database.db, 'c-log11', 10)
      await writeCheckpoint(database.db, 'c-log11', 5)
      expect(await readCheckpoint(database.db, 'c-log11')).toBe(10)
      await database.db.transaction((tx) => advanceCheckpoint(tx, 'c-log11', 10, 12, 'c_log11'))
      await expect(database.db.transaction((tx) => advanceCheckpoint(tx, 'c-log11', 10, 14, 'c_log11'))).rejects.toThrow(StaleCheckpointError)
      expect(await readCheckpoint(database.db, 'c-log11')).toBe(12)
      const lag = await lagSince(database.db, 0, 's')
      expect(lag.head).toBe(await log.maxSeq())
      expect(lag.rows).toBeGreaterThan(0)
    })

    it('[LOG12] the tail reads every row after its cursor in order', async () => {
      const start = await log.maxSeq()
      const tail = createLogTail(database, { checkpoint: start, gapTimeoutMs: 30_000 })
      const res = await log.append([0, 1, 2].map((i) => ({ doc: `s/cart/tail${i}`, store: 's', updateId: null, bytes: update('t'), actor: 't' })))
      const rows = await tail.read(100)
      expect(rows.map((r) => r.seq)).toEqual(res.map((r) => r.seq))
      expect(tail.frontier()).toBe(res[2]?.seq)
    })

    it('[LOG13] the Postgres change feed hears watched documents of other writers only, and a "many" marker as a gap', async () => {
      const feed = createPgChangeFeed(database, { origin: 'node-a' })
      const changes: LogChange[] = []
      let gaps = 0
      feed.onChange((c) => changes.push(...c))
      feed.onGap(() => gaps++)
      await feed.ready
      feed.watch(['s/cart/f1'])
      const other = createUpdateLog(database, 'node-f')
      try {
        // Unwatched documents say nothing; the watched one arrives with its writer and sequence.
        let seq = 0
        while (!changes.some((c) => c.seq === seq)) {
          await other.append([{ doc: 's/cart/f2', store: 's', updateId: null, bytes: update('x'), actor: 't' }])
          seq = (await other.append([{ doc: 's/cart/f1', store: 's', updateId: null, bytes: update('y'), actor: 't' }]))[0]?.seq ?? 0
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        expect(changes.every((c) => c.doc === 's/cart/f1' && c.origin === 'node-f' && c.bytes === undefined)).toBe(true)
        const many = Array.from({ length: 300 }, (_, i) => ({ doc: `s/cart/fm-${String(i).padStart(40, '0')}`, store: 's', updateId: null, bytes: update('m'), actor: 't' }))
        await log.append(many)
        while (gaps === 0) {
          await other.append(many)
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
        expect(gaps).toBeGreaterThan(0)
      } finally {
        await feed.close()
      }
    })

    it('[LOG5] bytes come back byte-for-byte', async () => {
      const b = new Uint8Array(300).map((_, i) => (i * 7) % 256)
      const [r] = await log.append([{ doc: 's/cart/b', store: 's', updateId: null, bytes: b, actor: 't' }])
      const [row] = await log.readSince((r?.seq as number) - 1, 1)
      expect(Array.from(row?.bytes ?? [])).toEqual(Array.from(b))
    })
  })
}
