/** Medians per target and workload, Tally/peer ratios, and the printed tables. */
import { median, ratio, round } from '../stats.ts'
import type { RunRecord } from './run.ts'
import { type Target, Workload } from './targets.ts'

/** metric name -> median over the successful runs */
export type Medians = Record<string, number>

export interface TargetSummary {
  readonly target: string
  readonly label: string
  readonly workload: Workload
  readonly runs: number
  readonly ok: number
  readonly medians: Medians
  readonly errors: string[]
}

export interface RatioRow {
  readonly workload: Workload
  readonly metric: string
  readonly tally: string
  readonly peer: string
  readonly ratio: number
}

const METRICS: Record<Workload, Array<[string, (r: any) => number]>> = {
  fanout: [
    ['convergeMs', (r) => r.convergeMs],
    ['p50Ms', (r) => r.p50Ms],
    ['p99Ms', (r) => r.p99Ms],
    ['rssMiB', (r) => r.mem.rssMiB],
    ['serverCpuMs', (r) => r.serverCpuMs],
    ['clientCpuMs', (r) => r.clientCpuMs],
  ],
  manydocs: [
    ['allOnServerMs', (r) => r.allOnServerMs],
    ['p50Ms', (r) => r.p50Ms],
    ['p99Ms', (r) => r.p99Ms],
    ['allSyncedMs', (r) => r.allSyncedMs],
    ['rssMiB', (r) => r.mem.rssMiB],
    ['serverCpuMs', (r) => r.serverCpuMs],
    ['clientCpuMs', (r) => r.clientCpuMs],
  ],
  crash: [
    ['relayed', (r) => r.relayed],
    ['lost', (r) => r.lost],
    ['killAfterMs', (r) => r.killAfterMs],
    ['restartMs', (r) => r.restartMs],
  ],
}

/** The metrics a ratio is printed for (lower is better for all of them). */
const RATIO_METRICS: Record<Workload, string[]> = {
  fanout: ['convergeMs', 'p50Ms', 'p99Ms', 'rssMiB', 'serverCpuMs'],
  manydocs: ['allOnServerMs', 'p99Ms', 'rssMiB', 'serverCpuMs'],
  crash: [],
}

export function summarize(targets: readonly Target[], records: readonly RunRecord[]): { rows: TargetSummary[]; ratios: RatioRow[] } {
  const rows: TargetSummary[] = []
  for (const workload of Object.values(Workload)) {
    for (const t of targets) {
      const mine = records.filter((r) => r.target === t.id && r.workload === workload)
      if (mine.length === 0) continue
      const ok = mine.filter((r) => r.result.ok)
      const medians: Medians = {}
      for (const [name, get] of METRICS[workload]) medians[name] = round(median(ok.map((r) => get(r.result))), 1)
      if (workload !== Workload.crash) medians.idleRssMiB = round(median(ok.map((r) => r.idleMem?.rssMiB ?? Number.NaN)), 1)
      rows.push({
        target: t.id,
        label: t.label,
        workload,
        runs: mine.length,
        ok: ok.length,
        medians,
        errors: mine.filter((r) => !r.result.ok).map((r) => ('error' in r.result ? String(r.result.error) : 'failed')),
      })
    }
  }
  const ratios: RatioRow[] = []
  for (const workload of [Workload.fanout, Workload.manydocs]) {
    const tallies = rows.filter((r) => r.workload === workload && r.target.startsWith('tally-'))
    const peers = rows.filter((r) => r.workload === workload && targets.find((t) => t.id === r.target)?.peer)
    for (const tr of tallies) {
      for (const pr of peers) {
        for (const metric of RATIO_METRICS[workload]) {
          ratios.push({
            workload,
            metric,
            tally: tr.target,
            peer: pr.target,
            ratio: round(ratio(tr.medians[metric] ?? Number.NaN, pr.medians[metric] ?? Number.NaN), 2),
          })
        }
      }
    }
  }
  return { rows, ratios }
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

const fmt = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : String(n))

export function formatSummary(rows: readonly TargetSummary[], ratios: readonly RatioRow[]): string {
  const out: string[] = []
  for (const workload of Object.values(Workload)) {
    const mine = rows.filter((r) => r.workload === workload)
    if (mine.length === 0) continue
    const metrics = Object.keys(mine[0]?.medians ?? {})
    out.push(`\n${workload} (medians of successful runs)`)
    out.push(table(['target', 'ok', ...metrics], mine.map((r) => [r.label, `${r.ok}/${r.runs}`, ...metrics.map((m) => fmt(r.medians[m]))])))
    const rs = ratios.filter((r) => r.workload === workload)
    if (rs.length > 0) {
      const pairs = [...new Set(rs.map((r) => `${r.tally} / ${r.peer}`))]
      const ms = [...new Set(rs.map((r) => r.metric))]
      out.push(`\n${workload} ratios Tally / peer (below 1 = Tally better)`)
      out.push(table(['pair', ...ms], pairs.map((p) => [p, ...ms.map((m) => fmt(rs.find((r) => `${r.tally} / ${r.peer}` === p && r.metric === m)?.ratio))])))
    }
    for (const r of mine) for (const e of r.errors) out.push(`  ! ${r.label}: ${e}`)
  }
  return out.join('\n')
}
