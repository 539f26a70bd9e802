/**
 * [RLY60] Compaction with several relays: relay B's commit of a document is still open
 * (its sequence handed out) while relay A commits higher sequences of the same document,
 * snapshots and prunes it. Loaded fresh afterwards, the document holds B's late update,
 * before and after the rows under the snapshot are pruned. On PGlite every transaction
 * runs on one connection, so a commit cannot land late there: skipped.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { parseDocName, ticketDocName, uuidv7, type DocName } from '@tally/schema'
import { createUpdateLog, query, type AppendResult, type Database, type UpdateLog } from '@tally/schema/db'
import { testBackends } from '../../../../packages/schema/src/db/testing.ts'
import { startTestRelay } from '../testing.ts'

const S = 'compact'

/** Relay B's log: each append inserts its rows, then holds its transaction open until the gate opens. */
function lateLog(database: Database) {
  let open: () => void = () => {}
  const gate = new Promise<void>((r) => (open = r))
  let reached: () => void = () => {}
  const inserted = new Promise<void>((r) => (reached = r))
  const wrap = (log: UpdateLog): UpdateLog => ({
    ...log,
    channel: log.channel,
    append: (batch) =>
      database.db.transaction(async (tx) => {
        const out: AppendResult[] = []
        for (const b of batch) {
          const [r] = await query<{ seq: unknown }>(
            tx,
            sql`INSERT INTO update_log (doc, store, update_id, bytes, actor, origin)
                VALUES (${b.doc}, ${b.store}, ${b.updateId}, decode(${Buffer.from(b.bytes).toString('base64')}, 'base64'), ${b.actor}, 'relay-b')
                RETURNING seq`,
          )
          out.push({ seq: Number(r?.seq), duplicate: false })
        }
        reached()
        await gate
        return out
      }),
  })
  return { wrap, open: () => open(), inserted }
}

function edit(key: string): Uint8Array {
  const d = new Y.Doc()
  d.getMap('m').set(key, 1)
  return Y.encodeStateAsUpdate(d)
}

async function loadFresh(database: Database, name: string): Promise<string[]> {
  const stored = await createUpdateLog(database, 'reader').loadDoc(name)
  const d = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(d, stored.snapshot)
  for (const e of stored.entries) Y.applyUpdate(d, e.bytes)
  return [...d.getMap('m').keys()].sort()
}

for (const backend of testBackends()) {
  describe(`compaction with two relays on ${backend.name}`, () => {
    it.skipIf(backend.name === 'pglite')('[RLY60] a commit that lands below the highest sequence survives snapshot and prune', async () => {
      const database = await backend.open()
      const late = lateLog(database)
      const a = await startTestRelay({ database })
      const b = await startTestRelay({ database, wrapLog: late.wrap })
      try {
        const name = ticketDocName(S, uuidv7())
        const parsed = parseDocName(name)
        if (!parsed.ok) throw new Error('bad name')
        const p: DocName = parsed.value
        const regA = a.relay.core.registry
        const regB = b.relay.core.registry

        const docB = await regB.get(name, p)
        const lateCommit = regB.submit(docB, edit('late'), { actor: 't-b', updateId: uuidv7(), origin: null })
        await late.inserted // B's row has its sequence and is not committed yet

        const docA = await regA.get(name, p)
        const r1 = await regA.submit(docA, edit('a1'), { actor: 't-a', updateId: uuidv7(), origin: null })
        await regA.submit(docA, edit('a2'), { actor: 't-a', updateId: uuidv7(), origin: null })
        await regA.sweep(true) // snapshot and unload while B's row is still in flight

        late.open()
        const committed = await lateCommit
        expect(committed.seq).toBeLessThan(r1.seq)
        expect(await loadFresh(database, name)).toEqual(['a1', 'a2', 'late'])

        // The projection has passed everything: pruning is allowed up to the snapshots.
        const max = await a.relay.core.log.maxSeq()
        await database.db.execute(sql`INSERT INTO checkpoints (name, seq, at) VALUES ('projection', ${max}, now())
            ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`)
        const again = await regA.get(name, p)
        await regA.submit(again, edit('a3'), { actor: 't-a', updateId: uuidv7(), origin: null })
        await regA.sweep(true)
        expect(await loadFresh(database, name)).toEqual(['a1', 'a2', 'a3', 'late'])
        // B (which held the document all along) compacts on close; still nothing lost.
        await b.close()
        expect(await loadFresh(database, name)).toEqual(['a1', 'a2', 'a3', 'late'])
      } finally {
        late.open()
        await b.close().catch(() => {})
        await a.close()
        await database.cleanup()
      }
    }, 60_000)
  })
}
