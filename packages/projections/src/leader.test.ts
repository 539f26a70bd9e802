/**
 * [PRJ40] [PRJ41] Two projector processes (`cli.ts --follow`) on one real Postgres while
 * tickets keep arriving: one leads, the other stands by; the leader is killed with
 * SIGKILL mid-load and the standby takes over within 5 s; every ticket is projected once,
 * with exactly one verdict append, and every row reflects its document's last update.
 * PGlite is one process: a second projector process cannot exist there, so it is skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { ticketDocName, uuidv7, writeSale, writeVoid } from '@tally/schema'
import { createUpdateLog, tables, type AppendInput } from '@tally/schema/db'
import { testBackends } from '../../schema/src/db/testing.ts'
import { sale } from './test-fixtures.ts'
import { query } from './sql-util.ts'
import { projectionCheckpoint } from './worker.ts'

const S = 'lease'
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url))

interface Proc {
  child: ChildProcess
  lines: string[]
  exited: Promise<void>
}

function startProjector(reopen: { url?: string; schema: string }): Proc {
  // node with the tsx loader, no wrapper process: SIGKILL must hit the projector itself.
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--follow', '--batch', '40'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: reopen.url, DATABASE_SCHEMA: reopen.schema },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let buf = ''
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString()
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
  child.stderr?.on('data', () => {})
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return { child, lines, exited }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

for (const backend of testBackends()) {
  describe(`two projector processes on ${backend.name}`, () => {
    it.skipIf(backend.name === 'pglite')(
      '[PRJ40] [PRJ41] one leader, SIGKILL of it mid-load, standby leads within 5 s: each ticket projected once, one verdict each, no stale row',
      async () => {
        const database = await backend.open()
        const procs: Proc[] = []
        try {
          await database.db.insert(tables.products).values([
            { id: 'l-beer', store: S, name: 'Beer', price: 350 },
            { id: 'l-cola', store: S, name: 'Cola', price: 250 },
          ])
          const log = createUpdateLog(database, 'relay-test')
          const ids: string[] = []
          let top = 0
          const appendTickets = async (n: number) => {
            const batch: AppendInput[] = []
            for (let j = 0; j < n; j++) {
              const id = uuidv7()
              ids.push(id)
              const d = new Y.Doc()
              writeSale(d, sale(id, [['l-beer', 1 + (j % 3), 350], ['l-cola', 1, 250]], { storeId: S, terminalId: `t${j % 5}` }))
              batch.push({ doc: ticketDocName(S, id), store: S, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(d), actor: `t${j % 5}` })
            }
            for (const r of await log.append(batch)) top = Math.max(top, r.seq)
          }
          const voidTickets = async (list: readonly string[]) => {
            const batch = list.map((id): AppendInput => {
              const d = new Y.Doc()
              writeVoid(d, { by: 'admin', at: '2026-01-02T22:00:00Z', reason: 'test' })
              return { doc: ticketDocName(S, id), store: S, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(d), actor: 'admin' }
            })
            for (const r of await log.append(batch)) top = Math.max(top, r.seq)
          }
          const verdicts = async () => {
            const [v] = await query<{ n: unknown; docs: unknown }>(
              database.db,
              sql`SELECT count(*) AS n, count(DISTINCT doc) AS docs FROM update_log WHERE store = ${S} AND actor = 'projection' AND doc LIKE '%/ticket/%'`,
            )
            return { n: Number(v?.n), docs: Number(v?.docs) }
          }

          const a = startProjector(database.reopen)
          procs.push(a)
          await until('the first projector to lead', () => a.lines.some((l) => l.startsWith('leader:')), 30_000)
          const b = startProjector(database.reopen)
          procs.push(b)
          await until('the second projector to stand by', () => b.lines.some((l) => l.startsWith('standby:')), 30_000)

          // Phase 1: both follow; only the leader may write.
          for (let i = 0; i < 8; i++) await appendTickets(25)
          await until('the projection to pass phase 1', async () => (await projectionCheckpoint(database)) >= top, 60_000)
          expect(await verdicts()).toEqual({ n: 200, docs: 200 })
          expect(b.lines.some((l) => l.startsWith('projected'))).toBe(false)

          // Phase 2: load keeps coming (new tickets, voids of old ones); the leader dies mid-way.
          const batchesBefore = a.lines.filter((l) => l.startsWith('projected')).length
          const load = (async () => {
            for (let i = 0; i < 12; i++) {
              await appendTickets(25)
              await voidTickets(ids.slice(i * 10, i * 10 + 10))
              await new Promise((r) => setTimeout(r, 50))
            }
          })()
          await until('the leader to project under load', () => a.lines.filter((l) => l.startsWith('projected')).length > batchesBefore, 30_000)
          a.child.kill('SIGKILL')
          const killedAt = Date.now()
          await a.exited
          await until('the standby to take the lease', () => b.lines.some((l) => l.startsWith('leader:')), 10_000)
          expect(Date.now() - killedAt).toBeLessThan(5_000)
          await load
          await until('the projection to pass everything', async () => (await projectionCheckpoint(database)) >= top, 60_000)

          const TICKETS = ids.length
          expect(TICKETS).toBe(500)
          const [t] = await query<{ n: unknown }>(database.db, sql`SELECT count(*) AS n FROM tickets WHERE store = ${S}`)
          expect(Number(t?.n)).toBe(TICKETS)
          const [l] = await query<{ n: unknown }>(database.db, sql`SELECT count(*) AS n FROM ticket_lines WHERE store = ${S}`)
          expect(Number(l?.n)).toBe(TICKETS * 2)
          expect(await verdicts()).toEqual({ n: TICKETS, docs: TICKETS })
          // No stale row: each ticket row was folded from its document's last update.
          const stale = await query<{ id: string }>(
            database.db,
            sql`SELECT t.id FROM tickets t
                WHERE t.store = ${S} AND t.seq <> (SELECT max(u.seq) FROM update_log u WHERE u.doc = ${S} || '/ticket/' || t.id AND u.actor <> 'projection')`,
          )
          expect(stale).toEqual([])
          const [v] = await query<{ n: unknown }>(database.db, sql`SELECT count(*) AS n FROM tickets WHERE store = ${S} AND voided`)
          expect(Number(v?.n)).toBe(120)
          const [m] = await query<{ n: unknown }>(database.db, sql`SELECT count(*) AS n FROM stock_movements WHERE store = ${S}`)
          expect(Number(m?.n)).toBe((TICKETS - 120) * 2)
        } finally {
          for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
          await Promise.all(procs.map((p) => p.exited))
          await database.cleanup()
        }
      },
      180_000,
    )
  })
}
