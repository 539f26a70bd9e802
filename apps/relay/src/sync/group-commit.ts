/**
 * Group commit: updates from every connection queue here and are appended to the log in
 * one transaction per round. While one round commits, the next one fills, so under load
 * many updates share one commit and at rest a single update commits at once.
 * Results are delivered in log order, after the commit: durable before visible.
 */
import type { AppendInput, AppendResult, UpdateLog } from '@tally/schema/db'

export interface Committed {
  input: AppendInput
  result: AppendResult
}

interface Waiting {
  input: AppendInput
  queuedAt: number
  resolve: (r: AppendResult) => void
  reject: (e: unknown) => void
}

export interface GroupCommitter {
  append(input: AppendInput): Promise<AppendResult>
  /** Resolves when everything queued so far is committed (or failed). */
  drain(): Promise<void>
  readonly queued: number
}

export function createGroupCommitter(
  log: UpdateLog,
  opts: {
    maxBatch: number
    /** Called once per committed round, in log order, before any promise resolves. */
    onCommitted: (round: readonly Committed[]) => void
    onRound?: (size: number, latenciesMs: readonly number[]) => void
  },
): GroupCommitter {
  let queue: Waiting[] = []
  let running: Promise<void> | null = null

  async function loop(): Promise<void> {
    while (queue.length > 0) {
      // Let the messages already received be read and queued first. On PGlite the
      // commit runs on this thread and blocks reads, so without this yield every
      // round under load would hold one update.
      await new Promise<void>((resolve) => setImmediate(resolve))
      const round = queue.slice(0, opts.maxBatch)
      queue = queue.slice(round.length)
      let results: AppendResult[]
      try {
        results = await log.append(round.map((w) => w.input))
      } catch (err) {
        for (const w of round) w.reject(err)
        continue
      }
      const now = performance.now()
      const committed = round.map((w, i) => ({ input: w.input, result: results[i] as AppendResult }))
      try {
        opts.onCommitted(committed)
      } finally {
        opts.onRound?.(round.length, round.map((w) => now - w.queuedAt))
        for (const [i, w] of round.entries()) w.resolve(results[i] as AppendResult)
      }
    }
  }

  function kick(): void {
    if (running) return
    running = loop().finally(() => {
      running = null
      if (queue.length > 0) kick()
    })
  }

  return {
    get queued() {
      return queue.length
    },
    append(input) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ input, queuedAt: performance.now(), resolve, reject })
        kick()
      })
    },
    async drain() {
      while (running) await running
    },
  }
}
