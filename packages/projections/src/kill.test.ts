/**
 * [PRJ6] The worker is killed with SIGKILL in the middle of a big backlog and started
 * again: every ticket is projected exactly once (no row doubled, none missing) and each
 * ticket got exactly one verdict write-back.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { ticketDocName, uuidv7, writeSale } from '@tally/schema'
import { createUpdateLog, openDatabase, tables, type AppendInput, type Database } from '@tally/schema/db'
import { testBackends } from '../../schema/src/db/testing.ts'
import { sale } from './test-fixtures.ts'
import { query } from './sql-util.ts'

const S = 'kill'
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./test-child.ts', import.meta.url))

function runChild(db: object, onLine: (line: string, child: ChildProcess) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    // node itself with the tsx loader: the tsx CLI would put a wrapper process between us
    // and the worker, and SIGKILL would hit the wrapper while the worker runs on.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: { ...process.env, TALLY_TEST_DB: JSON.stringify(db), TALLY_TEST_BATCH: '250' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      out += d.toString()
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i), child)
        buf = buf.slice(i + 1)
      }
    })
    let err = ''
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('exit', (code, signal) => (code !== 0 && signal === null ? reject(new Error(`child failed ${code}: ${err}`)) : resolve({ code, signal, out })))
  })
}

async function seedBacklog(database: Database, TICKETS: number): Promise<{ total: number; qty: number }> {
  await database.db.insert(tables.products).values([
    { id: 'k-beer', store: S, name: 'Beer', price: 350 },
    { id: 'k-cola', store: S, name: 'Cola', price: 250 },
    { id: 'k-nuts', store: S, name: 'Nuts', price: 300 },
  ])
  const log = createUpdateLog(database, 'relay-test')
  let total = 0
  let qty = 0
  for (let i = 0; i < TICKETS; i += 500) {
    const batch: AppendInput[] = []
    for (let j = i; j < Math.min(TICKETS, i + 500); j++) {
      const id = uuidv7()
      const s = sale(id, [['k-beer', 1 + (j % 3), 350], ['k-cola', 1, 250], ['k-nuts', 2, 300]], { storeId: S, terminalId: `t${j % 7}` })
      total += s.total
      qty += s.lines.reduce((n, l) => n + l.qty, 0)
      const d = new Y.Doc()
      writeSale(d, s)
      batch.push({ doc: ticketDocName(S, id), store: S, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: `t${j % 7}` })
    }
    await log.append(batch)
  }
  return { total, qty }
}

for (const backend of testBackends()) {
  describe(`projector killed mid-batch on ${backend.name}`, () => {
    const dirs: string[] = []
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
    })

    // PGlite in a child process is much slower; a smaller backlog still spans many batches.
    const TICKETS = backend.name === 'pglite' ? 1000 : 3000
    it('[PRJ6] SIGKILL during a backlog, restart: no row doubled, none missing', async () => {
      const dataDir = backend.name === 'pglite' ? mkdtempSync(join(tmpdir(), 'tally-kill-')) : undefined
      if (dataDir) dirs.push(dataDir)
      const first = await backend.open(dataDir ? { dataDir } : undefined)
      const reopen = first.reopen
      const expected = await seedBacklog(first, TICKETS)
      // PGlite is single-process: hand the directory over to the child.
      if (backend.name === 'pglite') await first.close()

      let batches = 0
      const killed = await runChild(reopen, (line, child) => {
        if (line.startsWith('batch') && ++batches === 2) child.kill('SIGKILL')
      })
      expect(killed.signal).toBe('SIGKILL')
      expect(killed.out).not.toContain('done')
      const finished = await runChild(reopen, () => {})
      expect(finished.out).toContain('done')

      const database = backend.name === 'pglite' ? await openDatabase({ dataDir: dataDir as string }) : first
      try {
        const [t] = await query<{ n: unknown; total: unknown }>(database.db, sql`SELECT count(*) AS n, sum(total) AS total FROM tickets WHERE store = ${S}`)
        expect(Number(t?.n)).toBe(TICKETS)
        expect(Number(t?.total)).toBe(expected.total)
        const [l] = await query<{ n: unknown; qty: unknown }>(database.db, sql`SELECT count(*) AS n, sum(qty) AS qty FROM ticket_lines WHERE store = ${S}`)
        expect(Number(l?.n)).toBe(TICKETS * 3)
        expect(Number(l?.qty)).toBe(expected.qty)
        const [m] = await query<{ qty: unknown }>(database.db, sql`SELECT sum(qty) AS qty FROM stock_movements WHERE store = ${S}`)
        expect(Number(m?.qty)).toBe(expected.qty)
        const [lv] = await query<{ sold: unknown }>(database.db, sql`SELECT sum(sold) AS sold FROM stock_levels WHERE store = ${S}`)
        expect(Number(lv?.sold)).toBe(expected.qty)
        // Exactly one verdict append per ticket: the killed batch's appends rolled back with its rows.
        const [v] = await query<{ n: unknown; docs: unknown }>(
          database.db,
          sql`SELECT count(*) AS n, count(DISTINCT doc) AS docs FROM update_log WHERE store = ${S} AND actor = 'projection' AND doc LIKE '%/ticket/%'`,
        )
        expect(Number(v?.n)).toBe(TICKETS)
        expect(Number(v?.docs)).toBe(TICKETS)
      } finally {
        if (backend.name === 'pglite') await database.close()
        await first.cleanup()
      }
    }, 900_000)
  })
}
