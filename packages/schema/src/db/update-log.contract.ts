/** The contract every UpdateLog implementation must keep, run once per backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { TestBackend, TestDatabase } from './testing.ts'
import { createUpdateLog, type UpdateLog } from './update-log.ts'

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

    it('[LOG4] notifies the log channel with the highest sequence after commit', async () => {
      const got: string[] = []
      const seen = new Promise<void>((resolve) => {
        void database.listen(log.channel, (p) => {
          got.push(p)
          resolve()
        })
      })
      // Listening is asynchronous on both drivers; append until the notification lands.
      const [r] = await log.append([{ doc: 's/cart/n', store: 's', updateId: 'n1', bytes: update('n'), actor: 't' }])
      let n = 2
      while (got.length === 0 && n < 50) {
        await Promise.race([seen, log.append([{ doc: 's/cart/n', store: 's', updateId: `n${n++}`, bytes: update('n'), actor: 't' }])])
      }
      expect(Number(got[0])).toBeGreaterThanOrEqual(r?.seq as number)
    })

    it('[LOG5] bytes come back byte-for-byte', async () => {
      const b = new Uint8Array(300).map((_, i) => (i * 7) % 256)
      const [r] = await log.append([{ doc: 's/cart/b', store: 's', updateId: null, bytes: b, actor: 't' }])
      const [row] = await log.readSince((r?.seq as number) - 1, 1)
      expect(Array.from(row?.bytes ?? [])).toEqual(Array.from(b))
    })
  })
}
