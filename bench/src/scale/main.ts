/**
 * `npm run bench -- scale [--quick] [--workloads delivery,catchup,throughput]
 *  [--postgres URL] [--nats URL] [--tally-ref REV|worktree] [--out FILE]`
 * See bench/README.md ("scale").
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { machineInfo } from '../machine.ts'
import { REPO_ROOT } from '../servers/spawn.ts'
import { ratio, round } from '../stats.ts'
import { tallySource } from '../tally-source.ts'
import { runScaleBench, type ScaleResults } from './run.ts'

async function reachable(url: string): Promise<boolean> {
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

function natsAnswers(url: string): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 4222), u.hostname)
    s.once('data', (d) => {
      s.destroy()
      resolve(d.toString().startsWith('INFO'))
    })
    s.once('error', () => resolve(false))
  })
}

/** The ratios bench/README.md quotes. */
export function scaleRatios(r: ScaleResults): Array<{ what: string; ratio: number }> {
  const rows: Array<{ what: string; ratio: number }> = []
  const d = (target: string, mode: string) => r.delivery.find((x) => x.target === target && x.mode === mode)
  for (const mode of ['one-at-a-time', 'burst']) {
    const nats = d('two relays, NATS', mode)
    const notify = d('two relays, NOTIFY', mode)
    const one = d('one relay', mode)
    const ref = d('y-websocket server (one process)', mode)
    for (const p of ['p50Ms', 'p99Ms'] as const) {
      if (nats && notify) rows.push({ what: `delivery ${mode} ${p.slice(0, 3)}: cross-relay NATS / cross-relay NOTIFY`, ratio: round(ratio(nats[p], notify[p]), 2) })
      if (nats && one) rows.push({ what: `delivery ${mode} ${p.slice(0, 3)}: cross-relay NATS / one relay`, ratio: round(ratio(nats[p], one[p]), 2) })
      if (one && ref) rows.push({ what: `delivery ${mode} ${p.slice(0, 3)}: one Tally relay / y-websocket server`, ratio: round(ratio(one[p], ref[p]), 2) })
    }
  }
  for (const feed of ['NOTIFY', 'NATS']) {
    const steps = r.catchup.filter((x) => x.feed === feed)
    const first = steps[0]
    const last = steps[steps.length - 1]
    if (first && last && first !== last) {
      rows.push({ what: `catch-up bytes read by the one-store relay, ${last.stores} stores / ${first.stores} (${feed})`, ratio: round(ratio(last.holderReadBytes, Math.max(1, first.holderReadBytes)), 2) })
      rows.push({ what: `catch-up bytes read / bytes written elsewhere at ${last.stores} stores (${feed})`, ratio: round(ratio(last.holderReadBytes, last.writtenBytes), 4) })
    }
  }
  const one = r.throughput.find((x) => x.setup === 'one relay')
  for (const t of r.throughput) if (one && t !== one) rows.push({ what: `fan-out deliveries/s: ${t.setup} / one relay`, ratio: round(ratio(t.perSecond, one.perSecond), 2) })
  return rows
}

export async function scale(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workloads: { type: 'string', default: 'delivery,catchup,throughput' },
      postgres: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      nats: { type: 'string', default: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' },
      quick: { type: 'boolean', default: false },
      'tally-ref': { type: 'string', default: 'HEAD' },
      out: { type: 'string' },
    },
  })
  if (!(await reachable(values.postgres))) {
    console.log(`no Postgres at ${values.postgres.replace(/\/\/[^/@]*@/, '//***@')}: the scale bench needs one (--postgres)`)
    process.exitCode = 2
    return
  }
  const natsUrl = (await natsAnswers(values.nats)) ? values.nats : undefined
  if (!natsUrl) console.log(`note: no NATS at ${values.nats}: NATS rows skipped`)
  const source = tallySource(values['tally-ref'])
  console.log(`Tally from ${source.describe}`)
  const quick = values.quick
  const started = new Date()
  let results: ScaleResults
  try {
    results = await runScaleBench(
      {
        tallyRoot: source.root,
        postgresUrl: values.postgres,
        natsUrl,
        edits: quick ? 50 : 200,
        burstPerSecond: 500,
        catchupSteps: quick ? [1, 20] : [1, 10, 50, 200],
        catchupUpdates: quick ? 100 : 400,
        throughput: quick ? { docs: 6, readers: 2, edits: 10 } : { docs: 30, readers: 4, edits: 40 },
        log: (l) => console.log(l),
      },
      values.workloads.split(','),
    )
  } finally {
    source.remove()
  }
  const ratios = scaleRatios(results)
  console.log('\nratios')
  for (const r of ratios) console.log(`  ${r.ratio}\t${r.what}`)
  const out = values.out ?? join(REPO_ROOT, 'bench/results', `scale-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify({ bench: 'scale', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: machineInfo(), tally: source.describe, nats: natsUrl ?? null, results, ratios }, null, 2) + '\n')
  console.log(`\nresults written to ${out}`)
}
