/**
 * Reads the relay's own Prometheus counters after a workload, so a slow run can be
 * explained: how many commit rounds, how many updates each, how long a commit waited.
 */

export interface TallyMetrics {
  readonly commitRounds: number
  readonly appends: number
  readonly meanBatch: number
  /** Mean time from queueing an update to its commit, ms. */
  readonly meanAppendMs: number
  readonly relayed: number
}

function value(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)
  return m ? Number(m[1]) : Number.NaN
}

export async function readTallyMetrics(port: number): Promise<TallyMetrics | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
    if (!res.ok) return undefined
    const text = await res.text()
    const rounds = value(text, 'tally_log_append_batch_size_count')
    const batched = value(text, 'tally_log_append_batch_size_sum')
    const latCount = value(text, 'tally_log_append_seconds_count')
    const latSum = value(text, 'tally_log_append_seconds_sum')
    return {
      commitRounds: rounds,
      appends: value(text, 'tally_log_appends_total'),
      meanBatch: rounds > 0 ? batched / rounds : Number.NaN,
      meanAppendMs: latCount > 0 ? (latSum / latCount) * 1000 : Number.NaN,
      relayed: value(text, 'tally_relayed_updates_total'),
    }
  } catch {
    return undefined
  }
}
