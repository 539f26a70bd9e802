/**
 * The relay under fuzz, as its own process: `startTestRelay` with the projection worker
 * on a database from `testBackends()` (FUZZ_BACKEND picks PGlite or Postgres), two
 * seeded demo stores, and an IPC channel through which the test reads what it must
 * check (log rows, audit rows, projected tickets, the relay's in-memory copy).
 *
 * A separate process so "the relay never exits" is observable: like `main.ts` it has no
 * handler for uncaught exceptions, so any input that throws one ends this process and
 * the test sees the exit. It exits itself when the test process goes away.
 */
import { sql } from 'drizzle-orm'
import * as Y from 'yjs'
import { parseDocName } from '@tally/schema'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase, query, type Database } from '@tally/schema/db'
import { testBackends } from '@tally/schema/db/testing'
import { projectionCheckpoint, seedDemo } from '@tally/projections'
import { startTestRelay } from '@tally/relay/testing'
import type { HostReply, HostRequest } from './host-protocol.ts'

const database = process.env.FUZZ_BACKEND === 'pglite' ? await openPglite() : await openPostgres()
for (const store of ['store1', 'store2']) await seedDemo(database, store)
const relay = await startTestRelay({
  database,
  projector: true,
  // Keep every log row: the forbidden-root oracle attributes each struct to the row that brought it.
  compactAfter: 1_000_000_000,
  idleUnloadMs: 600_000,
})

/**
 * PGlite from a migrated cluster dumped once and kept in the temp directory (keyed by the
 * migrations): creating one costs ~20 s of WebAssembly initdb, loading it ~2 s, and every
 * test file starts its own relay process.
 */
async function openPglite(): Promise<Database & { cleanup(): Promise<void> }> {
  const dir = fileURLToPath(new URL('../../packages/schema/drizzle', import.meta.url))
  const hash = createHash('sha256')
  const walk = (d: string): void => {
    for (const f of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (f.isDirectory()) walk(join(d, f.name))
      else hash.update(f.name).update(readFileSync(join(d, f.name)))
    }
  }
  walk(dir)
  const file = join(tmpdir(), `tally-fuzz-pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`)
  let template: Blob
  if (existsSync(file)) template = new Blob([readFileSync(file)])
  else {
    const fresh = await openDatabase({ dataDir: 'memory://' })
    template = await (fresh.dump as () => Promise<Blob>)()
    await fresh.close()
    const part = `${file}.${process.pid}`
    writeFileSync(part, Buffer.from(await template.arrayBuffer()))
    renameSync(part, file)
  }
  const db = await openDatabase({ dataDir: 'memory://', loadDataDir: template })
  return Object.assign(db, { cleanup: () => db.close() })
}

async function openPostgres(): Promise<Database & { cleanup(): Promise<void> }> {
  const backend = testBackends().find((b) => b.name === 'postgres')
  if (!backend) throw new Error('FUZZ_BACKEND=postgres needs TEST_DATABASE_URL')
  return backend.open()
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64')

async function answer(req: HostRequest): Promise<unknown> {
  switch (req.op) {
    case 'log': {
      const rows = await query<{ seq: unknown; actor: string; update_id: string | null; bytes: Uint8Array }>(
        database.db,
        sql`SELECT seq, actor, update_id, bytes FROM update_log WHERE doc = ${req.doc} ORDER BY seq`,
      )
      return rows.map((r) => ({ seq: Number(r.seq), actor: r.actor, updateId: r.update_id, bytes: b64(new Uint8Array(r.bytes)) }))
    }
    case 'relayDoc': {
      const parsed = parseDocName(req.doc)
      if (!parsed.ok) return null
      const loaded = await relay.relay.core.registry.get(req.doc, parsed.value)
      return b64(Y.encodeStateAsUpdate(loaded.ydoc))
    }
    case 'audit': {
      await relay.relay.core.audit.flush()
      const rows = await query<{ id: unknown; store: string | null; actor: string | null; kind: string; code: string | null; doc: string | null; detail: unknown }>(
        database.db,
        sql`SELECT id, store, actor, kind, code, doc, detail FROM audit WHERE id > ${req.afterId} ORDER BY id`,
      )
      return rows.map((r) => ({ ...r, id: Number(r.id) }))
    }
    case 'auditMax': {
      await relay.relay.core.audit.flush()
      const [r] = await query<{ id: unknown }>(database.db, sql`SELECT coalesce(max(id), 0) AS id FROM audit`)
      return Number(r?.id ?? 0)
    }
    case 'tickets': {
      const rows = await query<{ id: string; store: string; status: string }>(
        database.db,
        sql`SELECT id, store, status FROM tickets WHERE id = ANY(ARRAY(SELECT json_array_elements_text(${JSON.stringify(req.ids)}::json)))`,
      )
      return rows
    }
    case 'progress': {
      const [head] = await query<{ head: unknown }>(database.db, sql`SELECT coalesce(max(seq), 0) AS head FROM update_log`)
      return { checkpoint: await projectionCheckpoint(database), head: Number(head?.head ?? 0) }
    }
    case 'close':
      await shutdown()
      return null
  }
}

let closing: Promise<void> | null = null
const shutdown = (): Promise<void> => (closing ??= relay.close().then(() => database.cleanup()))

process.on('message', (msg: HostRequest & { id: number }) => {
  const reply = (r: HostReply) => process.send?.(r, () => {
    if (msg.op === 'close') process.exit(0)
  })
  answer(msg).then(
    (value) => reply({ id: msg.id, ok: true, value }),
    (err: unknown) => reply({ id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) }),
  )
})
// The test went away (or crashed): do not outlive it.
process.on('disconnect', () => void shutdown().finally(() => process.exit(0)))
process.send?.({ id: 0, ok: true, value: { port: relay.port, secret: relay.secret, schema: database.schema } } satisfies HostReply)
