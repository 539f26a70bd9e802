/**
 * `npm run bench -- relay [options]` and `npm run bench -- projection [options]`.
 * See bench/README.md for what each workload does and how to read the numbers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { machineInfo } from './machine.ts'
import { muxKitIfReady } from './clients/tally-mux.ts'
import { type RunRecord, runRelayBench } from './relay/run.ts'
import { formatSummary, type RatioRow, summarize, type TargetSummary } from './relay/summary.ts'
import { relayTargets, tallyAvailable, Workload } from './relay/targets.ts'
import { REPO_ROOT } from './servers/spawn.ts'
import { tallySource } from './tally-source.ts'

// y-websocket providers each add a process 'exit' listener; 1000 documents are expected here.
process.setMaxListeners(0)

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test'

async function postgresReachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {})
  }
}

function stamp(): string {
  return new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')
}

async function relay(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      // Five, not three: a fanout rep lands in one of two modes (bench/README.md), and the
      // median of three moved the Tally / Hocuspocus ratio by 0.15 between runs.
      reps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      workloads: { type: 'string', default: 'fanout,manydocs,crash' },
      targets: { type: 'string' },
      postgres: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_PG },
      'no-postgres': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'keep-dirs': { type: 'boolean', default: false },
      'tally-ref': { type: 'string', default: 'HEAD' },
      print: { type: 'string' },
    },
  })
  if (values.print) {
    // Print the tables of an existing (possibly interrupted) results file.
    const saved = JSON.parse(readFileSync(values.print, 'utf8')) as { summary: TargetSummary[]; ratios: RatioRow[] }
    console.log(formatSummary(saved.summary, saved.ratios))
    return
  }
  const source = tallySource(values['tally-ref'])
  const pgUrl = values['no-postgres'] ? undefined : (await postgresReachable(values.postgres)) ? values.postgres : undefined
  const muxKit = await muxKitIfReady(source.root)
  let targets = relayTargets({ postgresUrl: pgUrl, muxKit, tallyRoot: source.root })
  if (values.targets) {
    const wanted = new Set(values.targets.split(','))
    targets = targets.filter((t) => wanted.has(t.id))
  }
  const workloads = values.workloads.split(',').filter((w): w is Workload => w in Workload)
  const quick = values.quick
  const opts = {
    reps: quick ? 1 : Math.max(1, Number(values.reps)),
    warmup: quick ? 0 : Math.max(0, Number(values.warmup)),
    workloads,
    fanout: quick ? { terminals: 10, edits: 10 } : { terminals: 40, edits: 50 },
    manydocs: quick ? { terminals: 5, tickets: 10 } : { terminals: 20, tickets: 50 },
    crash: quick ? { writers: 2, docs: 2, edits: 20 } : { writers: 8, docs: 4, edits: 100 },
    timeoutMs: 60_000,
    keepDirs: values['keep-dirs'],
    tallyRoot: source.root,
    log: (line: string) => console.log(line),
  }
  const notes: string[] = []
  console.log(`Tally from ${source.describe}`)
  if (!tallyAvailable(source.root)) notes.push('apps/relay/src/main.ts not found: Tally targets skipped')
  if (!pgUrl) notes.push('no Postgres reachable: Tally on Postgres skipped')
  if (!muxKit) notes.push('@tally/client createSyncClient not ready: mux client skipped')
  for (const n of notes) console.log(`note: ${n}`)
  console.log(`targets: ${targets.map((t) => t.id).join(', ')}`)
  console.log(`workloads: ${workloads.join(', ')}  reps: ${opts.reps} (after ${opts.warmup} warm-up run${opts.warmup === 1 ? '' : 's'} per target, not counted)\n`)

  const started = new Date()
  const out = values.out ?? join(REPO_ROOT, 'bench/results', `relay-${stamp()}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  const { log: _log, ...optsForFile } = opts
  // Rewritten after every run, so an interrupted bench still leaves its results.
  const write = (records: readonly RunRecord[], finished: boolean) => {
    const { rows, ratios } = summarize(targets, records)
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'relay',
          startedAt: started.toISOString(),
          finishedAt: finished ? new Date().toISOString() : null,
          machine: machineInfo(),
          tally: source.describe,
          options: optsForFile,
          notes,
          targets: targets.map((t) => ({ id: t.id, label: t.label, server: t.spec.id, peer: t.peer ?? null })),
          summary: rows,
          ratios,
          runs: records,
        },
        (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
        2,
      ) + '\n',
    )
    return { rows, ratios }
  }
  let records: RunRecord[]
  try {
    records = await runRelayBench(targets, { ...opts, onRecord: (r) => void write(r, false) })
  } finally {
    source.remove()
  }
  const { rows, ratios } = write(records, true)
  console.log(formatSummary(rows, ratios))
  console.log(`\nresults written to ${out}`)
}

async function main(): Promise<void> {
  const [what, ...rest] = process.argv.slice(2)
  switch (what) {
    case 'relay':
      await relay(rest)
      break
    case 'projection': {
      const { projection } = await import('./projection/main.ts')
      await projection(rest)
      break
    }
    case 'scale': {
      const { scale } = await import('./scale/main.ts')
      await scale(rest)
      break
    }
    case 'terminal': {
      const { terminal } = await import('./terminal/main.ts')
      await terminal(rest)
      break
    }
    case 'hub': {
      const { hub } = await import('./hub/main.ts')
      await hub(rest)
      break
    }
    case 'escrow': {
      const { escrow } = await import('./escrow/main.ts')
      await escrow(rest)
      break
    }
    default:
      console.log('usage: npm run bench -- relay|projection|terminal|scale|hub|escrow [options]  (see bench/README.md)')
      process.exitCode = 2
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
