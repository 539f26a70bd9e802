/**
 * `npm run bench -- projection`: throughput of the projector over a backlog of tickets
 * and its lag under live selling, on PGlite and on the real Postgres.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Database } from '@tally/schema/db'
import { tallySource } from '../tally-source.ts'
import { loadProjectionLib, type ProjectionLib } from './lib.ts'
import { machineInfo } from '../machine.ts'
import { REPO_ROOT } from '../servers/spawn.ts'
import { median, round } from '../stats.ts'
import { type LagResult, runLag, runThroughput, seedStore, type ThroughputResult } from './run.ts'

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test'

interface Backend {
  readonly id: 'pglite' | 'postgres'
  open(): Promise<{ database: Database; cleanup: () => Promise<void> }>
}

function backends(lib: ProjectionLib, pgUrl: string | undefined): Backend[] {
  const { openDatabase, dropSchema } = lib
  const list: Backend[] = [
    {
      id: 'pglite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'tally-bench-projection-'))
        const database = await openDatabase({ dataDir: join(dir, 'pg') })
        return { database, cleanup: async () => rmSync(dir, { recursive: true, force: true }) }
      },
    },
  ]
  if (pgUrl) {
    let n = 0
    list.push({
      id: 'postgres',
      async open() {
        const schema = `bench_proj_${process.pid}_${++n}`
        const database = await openDatabase({ url: pgUrl, schema })
        return { database, cleanup: () => dropSchema(pgUrl, schema) }
      },
    })
  }
  return list
}

interface Record_ {
  backend: string
  rep: number
  load1: number
  throughput: ThroughputResult | { ok: false; error: string }
  lag: LagResult | { ok: false; error: string }
}

export async function projection(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string', default: '3' },
      tickets: { type: 'string', default: '10000' },
      terminals: { type: 'string', default: '50' },
      'lag-seconds': { type: 'string', default: '10' },
      'lag-interval-ms': { type: 'string', default: '500' },
      postgres: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_PG },
      'no-postgres': { type: 'boolean', default: false },
      'no-pglite': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'tally-ref': { type: 'string', default: 'HEAD' },
    },
  })
  const source = tallySource(values['tally-ref'])
  try {
    await projectionWith(source.describe, await loadProjectionLib(source.root), values)
  } finally {
    source.remove()
  }
}

type Values = {
  reps: string
  tickets: string
  terminals: string
  'lag-seconds': string
  'lag-interval-ms': string
  postgres: string
  'no-postgres': boolean
  'no-pglite': boolean
  quick: boolean
  out?: string | undefined
}

async function projectionWith(describe: string, lib: ProjectionLib, values: Values): Promise<void> {
  console.log(`Tally from ${describe}`)
  const quick = values.quick
  const opts = {
    reps: quick ? 1 : Math.max(1, Number(values.reps)),
    tickets: quick ? 1000 : Number(values.tickets),
    terminals: Number(values.terminals),
    lagSeconds: quick ? 3 : Number(values['lag-seconds']),
    lagIntervalMs: Number(values['lag-interval-ms']),
    timeoutMs: 300_000,
  }
  let list = backends(lib, values['no-postgres'] ? undefined : values.postgres)
  if (values['no-pglite']) list = list.filter((b) => b.id !== 'pglite')
  console.log(`backends: ${list.map((b) => b.id).join(', ')}  reps: ${opts.reps}`)
  console.log(
    `throughput: ${opts.tickets} tickets from ${opts.terminals} terminals; lag: ${opts.terminals} terminals, one sale each every ${opts.lagIntervalMs} ms for ${opts.lagSeconds} s\n`,
  )
  const started = new Date()
  const records: Record_[] = []
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const b of list) {
      const load1 = round(loadavg()[0] ?? 0, 2)
      let opened: Awaited<ReturnType<Backend['open']>> | undefined
      const rec: Record_ = { backend: b.id, rep, load1, throughput: { ok: false, error: 'not run' }, lag: { ok: false, error: 'not run' } }
      try {
        opened = await b.open()
        const products = await seedStore(lib, opened.database)
        rec.throughput = await runThroughput(lib, opened.database, products, { ...opts, seed: rep, timeoutMs: opts.timeoutMs })
        rec.lag = await runLag(lib, opened.database, products, {
          terminals: opts.terminals,
          seconds: opts.lagSeconds,
          intervalMs: opts.lagIntervalMs,
          seed: rep,
          timeoutMs: 60_000,
        })
      } catch (err) {
        rec.throughput = rec.throughput.ok ? rec.throughput : { ok: false, error: String((err as Error).stack ?? err).slice(0, 800) }
      } finally {
        await opened?.database.close().catch(() => {})
        await opened?.cleanup().catch(() => {})
      }
      records.push(rec)
      const t = rec.throughput
      const l = rec.lag
      console.log(
        `rep ${rep}  ${b.id.padEnd(8)} load ${load1.toFixed(1).padStart(4)}  ` +
          ('ticketsPerSec' in t ? `backlog ${t.tickets} in ${t.projectMs.toFixed(0)} ms = ${t.ticketsPerSec.toFixed(0)} tickets/s, ${t.ticketsPerCpuSec.toFixed(0)}/cpu-s (append ${t.appendMs.toFixed(0)} ms)` : `backlog FAILED ${t.error}`) +
          ('p99Ms' in l ? `  lag p50 ${l.p50Ms.toFixed(0)} p99 ${l.p99Ms.toFixed(0)} max ${l.maxMs.toFixed(0)} ms over ${l.tickets} sales` : `  lag FAILED ${l.error}`) +
          (t.ok ? '' : `  ! ${t.error}`) +
          (l.ok ? '' : `  ! ${l.error}`),
      )
    }
  }
  const summary = list.map((b) => {
    const mine = records.filter((r) => r.backend === b.id)
    const tp = mine.map((r) => r.throughput).filter((t): t is ThroughputResult => t.ok)
    const lg = mine.map((r) => r.lag).filter((l): l is LagResult => l.ok)
    return {
      backend: b.id,
      runs: mine.length,
      ticketsPerSec: round(median(tp.map((t) => t.ticketsPerSec)), 0),
      projectMs: round(median(tp.map((t) => t.projectMs)), 0),
      ticketsPerCpuSec: round(median(tp.map((t) => t.ticketsPerCpuSec)), 0),
      appendMs: round(median(tp.map((t) => t.appendMs)), 0),
      lagP50Ms: round(median(lg.map((l) => l.p50Ms)), 1),
      lagP99Ms: round(median(lg.map((l) => l.p99Ms)), 1),
      lagMaxMs: round(median(lg.map((l) => l.maxMs)), 1),
      okThroughput: tp.length,
      okLag: lg.length,
    }
  })
  console.log('\nprojection (medians)')
  console.log('backend   runs  tickets/s  tickets/cpu-s  projectMs  appendMs  lag p50  lag p99  lag max')
  for (const s of summary) {
    console.log(
      `${s.backend.padEnd(8)}  ${String(s.runs).padStart(4)}  ${String(s.ticketsPerSec).padStart(9)}  ${String(s.ticketsPerCpuSec).padStart(13)}  ${String(s.projectMs).padStart(9)}  ${String(s.appendMs).padStart(8)}  ${String(s.lagP50Ms).padStart(7)}  ${String(s.lagP99Ms).padStart(7)}  ${String(s.lagMaxMs).padStart(7)}`,
    )
  }
  const out = values.out ?? join(REPO_ROOT, 'bench/results', `projection-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(
    out,
    JSON.stringify(
      { bench: 'projection', tally: describe, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: machineInfo(), options: opts, summary, runs: records },
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      2,
    ) + '\n',
  )
  console.log(`\nresults written to ${out}`)
}
