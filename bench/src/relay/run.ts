/**
 * The relay bench: every workload against every target, repeated, interleaved (rep 1 of
 * every target, then rep 2 ...) so slow drift of the machine hits all targets alike. Each
 * run gets a fresh server process and a fresh data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropSchema } from '@tally/schema/db'
import { type RunningServer, startServer } from '../servers/spawn.ts'
import { readTallyMetrics, type TallyMetrics } from '../servers/tally-metrics.ts'
import { BENCH_JWT_SECRET } from '../tally-token.ts'
import { type CrashResult, runCrash } from './crash.ts'
import { type FanoutResult, runFanout } from './fanout.ts'
import { type ManydocsResult, runManydocs } from './manydocs.ts'
import { type Target, Workload } from './targets.ts'

export interface RelayBenchOptions {
  readonly reps: number
  /**
   * Runs per target and workload before rep 1, not recorded. All clients live in the
   * bench process, so without them the first target measured pays for compiling the
   * client code (its first fanout ran 2-3 times slower than the next).
   */
  readonly warmup: number
  readonly workloads: readonly Workload[]
  readonly fanout: { terminals: number; edits: number }
  readonly manydocs: { terminals: number; tickets: number }
  readonly crash: { writers: number; docs: number; edits: number }
  readonly timeoutMs: number
  readonly keepDirs: boolean
  /** Run Tally from this directory (a committed snapshot) instead of the working tree. */
  readonly tallyRoot: string | undefined
  readonly log: (line: string) => void
  /** Called after every run with all records so far (the results file is rewritten each time). */
  readonly onRecord?: (records: readonly RunRecord[]) => void
}

export interface RunRecord {
  readonly target: string
  readonly workload: Workload
  readonly rep: number
  readonly idleMem?: { rssMiB: number; hwmMiB: number }
  /** 1-minute load average when the run started: other work on the machine skews it. */
  readonly load1: number
  /** Tally only: the relay's commit counters after the workload. */
  readonly tallyMetrics?: TallyMetrics
  readonly result: FanoutResult | ManydocsResult | CrashResult | { ok: false; error: string }
}

let schemaSeq = 0

async function withServer<T>(
  target: Target,
  opts: RelayBenchOptions,
  fn: (start: () => Promise<RunningServer>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `tally-bench-${target.spec.id}-`))
  const schema = target.spec.databaseUrl ? `bench_${process.pid}_${++schemaSeq}` : undefined
  const started: RunningServer[] = []
  try {
    return await fn(async () => {
      const s = await startServer(target.spec, dir, { jwtSecret: BENCH_JWT_SECRET, schema, tallyRoot: opts.tallyRoot })
      started.push(s)
      return s
    })
  } finally {
    for (const s of started) await s.stop()
    if (schema && target.spec.databaseUrl) await dropSchema(target.spec.databaseUrl, schema).catch(() => {})
    if (!opts.keepDirs) rmSync(dir, { recursive: true, force: true })
  }
}

async function runOne(target: Target, workload: Workload, rep: number, opts: RelayBenchOptions): Promise<Omit<RunRecord, 'load1'>> {
  return withServer(target, opts, async (start) => {
    if (workload === Workload.crash) {
      const result = await runCrash(start, (s) => target.kit(s), { ...opts.crash, timeoutMs: opts.timeoutMs })
      return { target: target.id, workload, rep, result }
    }
    const server = await start()
    // Let startup work (migrations, JIT) settle before the idle reading.
    await new Promise((r) => setTimeout(r, 500))
    const idle = server.mem()
    const kit = target.kit(server)
    const result =
      workload === Workload.fanout
        ? await runFanout(server, kit, { ...opts.fanout, timeoutMs: opts.timeoutMs })
        : await runManydocs(server, kit, { ...opts.manydocs, timeoutMs: opts.timeoutMs, seed: rep })
    const tallyMetrics = target.spec.kind === 'tally' ? await readTallyMetrics(server.port) : undefined
    return { target: target.id, workload, rep, idleMem: idle, result, ...(tallyMetrics ? { tallyMetrics } : {}) }
  })
}

export async function runRelayBench(targets: readonly Target[], opts: RelayBenchOptions): Promise<RunRecord[]> {
  const records: RunRecord[] = []
  for (let w = 1; w <= opts.warmup; w++) {
    for (const workload of opts.workloads) {
      if (workload === Workload.crash) continue
      for (const target of targets) {
        if (!target.workloads.has(workload)) continue
        const run = await runOne(target, workload, 0, opts).catch((err: unknown) => ({ result: { ok: false, error: (err as Error).message } }) as const)
        opts.log(`warm-up ${workload.padEnd(8)} ${target.id.padEnd(22)} ${run.result.ok ? 'done' : `FAILED: ${'error' in run.result ? run.result.error : ''}`} (not counted)`)
      }
    }
  }
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const workload of opts.workloads) {
      for (const target of targets) {
        if (!target.workloads.has(workload)) continue
        let record: RunRecord
        const load1 = Math.round((loadavg()[0] ?? 0) * 100) / 100
        try {
          record = { ...(await runOne(target, workload, rep, opts)), load1 }
        } catch (err) {
          record = { target: target.id, workload, rep, load1, result: { ok: false, error: (err as Error).message.slice(0, 500) } }
        }
        records.push(record)
        opts.onRecord?.(records)
        const m = record.tallyMetrics
        const commits = m ? `  [${m.commitRounds} commits, ${m.meanBatch.toFixed(1)} updates each, ${m.meanAppendMs.toFixed(0)} ms queue-to-commit]` : ''
        opts.log(`rep ${rep}  ${workload.padEnd(8)} ${target.id.padEnd(22)} load ${record.load1.toFixed(1).padStart(4)}  ${brief(record)}${commits}`)
      }
    }
  }
  return records
}

function brief(r: RunRecord): string {
  const res = r.result
  if (!res.ok && 'error' in res && !('convergeMs' in res) && !('allOnServerMs' in res) && !('lost' in res)) return `FAILED: ${res.error}`
  const err = !res.ok && 'error' in res ? `  FAILED: ${res.error}` : ''
  if ('convergeMs' in res)
    return `converge ${res.convergeMs.toFixed(0)} ms  p50 ${res.p50Ms.toFixed(1)}  p99 ${res.p99Ms.toFixed(1)}  rss ${res.mem.rssMiB.toFixed(0)} MiB  cpu srv ${res.serverCpuMs.toFixed(0)} cli ${res.clientCpuMs.toFixed(0)} ms${err}`
  if ('allOnServerMs' in res)
    return `all on server ${res.allOnServerMs.toFixed(0)} ms  synced ${res.allSyncedMs.toFixed(0)}  rss ${res.mem.rssMiB.toFixed(0)} MiB  cpu srv ${res.serverCpuMs.toFixed(0)} cli ${res.clientCpuMs.toFixed(0)} ms${err}`
  if ('lost' in res) return `relayed ${res.relayed}  recovered ${res.recovered}  lost ${res.lost}  (kill ${res.killAfterMs.toFixed(0)} ms after last relay)${err}`
  return 'unknown'
}
