/**
 * `npm run bench -- escrow [--nights 5] [--postgres URL | --no-postgres]`: oversold
 * conflicts per simulated night with stock allowances off and on (night.ts), and how
 * often staff would be asked to approve a sale past an allowance. Target: 0 oversold
 * conflicts with allowances on, at most 5 % of sales asking for approval.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase, type Database } from '@tally/schema/db'
import { seedDemo, demoProductId } from '@tally/projections'
import { machineInfo } from '../machine.ts'
import { REPO_ROOT } from '../servers/spawn.ts'
import { runNight, type NightResult } from './night.ts'

const STORE = 'bench-escrow'

export async function escrow(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nights: { type: 'string', default: '5' },
      seed: { type: 'string', default: '16' },
      demand: { type: 'string', default: '0.95' },
      rule: { type: 'string', default: 'by_recent_sales' },
      reserve: { type: 'string', default: '0' },
      'idle-minutes': { type: 'string', default: '5' },
      'idle-keep': { type: 'string', default: '1' },
      'no-wanted': { type: 'boolean', default: false },
      postgres: { type: 'string' },
      out: { type: 'string' },
    },
  })
  const database: Database = values.postgres
    ? await openDatabase({ url: values.postgres, schema: `bench_escrow_${Date.now().toString(36)}` })
    : await openDatabase({ dataDir: 'memory://' })
  try {
    await seedDemo(database, STORE)
    const products = [
      { id: demoProductId(STORE, 'gin-tonic'), stock: 40 },
      { id: demoProductId(STORE, 'shot'), stock: 30 },
      { id: demoProductId(STORE, 'protein-bar'), stock: 12 },
    ]
    const nights = Math.max(1, Number(values.nights))
    const rule = values.rule === 'equal' ? 'equal' : 'by_recent_sales'
    const results: NightResult[] = []
    for (let n = 0; n < nights; n++) {
      for (const allowances of [false, true]) {
        const r = await runNight(database, {
          store: STORE,
          products,
          terminals: 8,
          minutes: 8 * 60,
          demand: Number(values.demand),
          allowances,
          rule,
          reservePct: Number(values.reserve),
          seed: Number(values.seed) + n,
          idleMinutes: Number(values['idle-minutes']),
          idleKeep: Number(values['idle-keep']),
          wanted: !values['no-wanted'],
        })
        results.push(r)
        console.log(
          `night ${n + 1} allowances ${allowances ? 'on ' : 'off'}: ${r.sold}/${r.attempts} sold, oversold conflicts ${r.oversoldConflicts} (${r.oversoldUnits} units), ` +
            `approval asks ${r.approvalAsks} (${((100 * r.approvalAsks) / Math.max(1, r.sold)).toFixed(1)} % of sales), refused with stock left ${r.refusedWithStock} (asks with stock ${r.asksWithStock}, online ${r.asksWithStockOnline}), grant requests ${r.grantRequests}, offline terminal-minutes ${r.offlineMinutes}`,
        )
      }
    }
    const sum = (on: boolean, k: keyof NightResult) => results.filter((r) => r.allowances === on).reduce((n, r) => n + Number(r[k]), 0)
    const summary = [false, true].map((on) => ({
      allowances: on,
      nights,
      oversoldConflictsPerNight: sum(on, 'oversoldConflicts') / nights,
      oversoldUnitsPerNight: sum(on, 'oversoldUnits') / nights,
      approvalAskPctOfSales: (100 * sum(on, 'approvalAsks')) / Math.max(1, sum(on, 'sold')),
      asksWithStockPctOfSales: (100 * sum(on, 'asksWithStock')) / Math.max(1, sum(on, 'sold')),
      soldPerNight: sum(on, 'sold') / nights,
      refusedWithStockPerNight: sum(on, 'refusedWithStock') / nights,
    }))
    console.table(summary)
    const out = values.out ?? join(REPO_ROOT, 'bench/results', `escrow-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`)
    mkdirSync(join(out, '..'), { recursive: true })
    writeFileSync(out, JSON.stringify({ bench: 'escrow', machine: machineInfo(), backend: values.postgres ? 'postgres' : 'pglite', options: values, summary, nights: results }, null, 2) + '\n')
    console.log(`results written to ${out}`)
  } finally {
    await database.close()
  }
}
