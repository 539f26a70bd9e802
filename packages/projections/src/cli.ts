/**
 * `npm run project -- --once | --follow | --rebuild [--store S]`
 * Opens the database the way the relay does (DATABASE_URL, else PGlite in
 * DATA_DIR/pg) and runs the projection worker in this process. Any number may follow
 * one database: one is the leader (it holds the lease and projects), the others are
 * standbys that take over within a few seconds when it dies (lease.ts). Each prints a
 * line when it becomes leader or standby.
 */
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '@tally/schema/db'
import { createProjector } from './worker.ts'

type Mode = 'once' | 'follow' | 'rebuild'

export function parseArgs(argv: readonly string[]): { ok: true; mode: Mode; store: string | undefined; batchSize: number | undefined } | { ok: false; error: string } {
  let mode: Mode | undefined
  let store: string | undefined
  let batchSize: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--once' || a === '--follow' || a === '--rebuild') {
      if (mode) return { ok: false, error: 'give one of --once, --follow, --rebuild' }
      mode = a.slice(2) as Mode
    } else if (a === '--store') {
      store = argv[++i]
      if (!store) return { ok: false, error: '--store needs a store id' }
    } else if (a === '--batch') {
      batchSize = Number(argv[++i])
      if (!Number.isInteger(batchSize) || batchSize <= 0) return { ok: false, error: '--batch needs a positive integer' }
    } else return { ok: false, error: `unknown argument ${a}` }
  }
  if (!mode) return { ok: false, error: 'usage: npm run project -- --once | --follow | --rebuild [--store S] [--batch N]' }
  if (store && mode !== 'rebuild') return { ok: false, error: '--store only applies to --rebuild' }
  return { ok: true, mode, store, batchSize }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (!args.ok) {
    process.stderr.write(`${args.error}\n`)
    process.exit(2)
  }
  const env = process.env
  const database = await openDatabase(
    env.DATABASE_URL
      ? { url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA || 'public' }
      : { dataDir: join(resolve(env.DATA_DIR || './data'), 'pg'), schema: env.DATABASE_SCHEMA || 'public' },
  ).catch((err: unknown) => {
    process.stderr.write(`cannot open the database: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
  let total = 0
  const projector = createProjector({
    database,
    batchSize: args.batchSize,
    onLeadership: (c) =>
      process.stdout.write(c.leader ? `leader: this projector holds the lease (epoch ${c.epoch})\n` : `standby: ${c.reason ?? 'another projector holds the lease'}\n`),
    onBatch: (b) => {
      total += b.projected
      if (b.projected > 0) process.stdout.write(`projected ${b.projected} docs (${total} total) up to seq ${b.checkpoint} in ${b.ms} ms, ${b.verdicts} verdicts\n`)
    },
  })
  const started = Date.now()
  if (args.mode === 'follow') {
    await projector.follow()
    process.stdout.write(`following the log from seq ${projector.checkpoint()}; Ctrl-C to stop\n`)
    const stop = async () => {
      await projector.stop()
      await database.close()
      process.exit(0)
    }
    process.on('SIGINT', () => void stop())
    process.on('SIGTERM', () => void stop())
    return
  }
  const r = await (args.mode === 'once' ? projector.runOnce() : projector.rebuild({ store: args.store })).catch((err: unknown) => {
    process.stderr.write(`${args.mode} failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
  process.stdout.write(`${args.mode}: ${r.projected} docs projected, checkpoint ${r.lastSeq}, ${Date.now() - started} ms\n`)
  await database.close()
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main()
