/**
 * Group commit: updates from every connection queue here and are appended to the log in
 * one statement per round. While a round commits, the next one fills, so under load
 * many updates share one commit and at rest a single update commits at once.
 *
 * On Postgres up to `maxInFlight` rounds commit at the same time (on separate pooled
 * connections), so a round's insert and fsync overlap the next one's. Rounds are
 * delivered in the order they started, each after its own commit: durable before
 * visible, and a connection's updates are applied, relayed and acked in the order they
 * arrived.
 *
 * Per document the log keeps arrival order and is always a prefix of it: two rounds
 * holding the same document never commit at once (a round is cut before its first
 * update of a document still committing, and waits for that round), and a round that
 * fails takes the queued updates of its documents down with it. So a client may send a
 * document's updates back to back (a store hub's whole window in one message) without
 * waiting for each ack: their sequences follow their order, and a crash or an outage
 * never leaves a later one committed without an earlier one.
 */
import type { AppendInput, AppendResult, UpdateLog } from '@tally/schema/db'
import { isRowError } from './row-error.ts'

/**
 * The log refused this one update's row (a value the database cannot store): a refusal
 * for its sender, not an outage. Resending the same bytes would fail the same way.
 */
export class RowRefusedError extends Error {
  override readonly name = 'RowRefusedError'
  constructor(override readonly cause: unknown) {
    super(`the log cannot store this update: ${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 200))
  }
}

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
  /** Resolves when every round already started has been delivered (or failed). */
  settled(): Promise<void>
}

export function createGroupCommitter(
  log: UpdateLog,
  opts: {
    maxBatch: number
    /** Rounds committing at once; 1 on PGlite, which runs one statement at a time anyway. */
    maxInFlight?: number
    /** Called once per committed round, in round order, before any of its promises resolves. */
    onCommitted: (round: readonly Committed[]) => void
    onRound?: (size: number, latenciesMs: readonly number[]) => void
    /** A bug while delivering a round (its updates are settled regardless): report it. */
    onError?: (err: unknown) => void
  },
): GroupCommitter {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1)
  let queue: Waiting[] = []
  let inFlight = 0
  /** Documents of the rounds committing now (a count per document). */
  const committing = new Map<string, number>()
  let scheduled = false
  /** Delivery of the newest round started; each round delivers after the one before. */
  let delivered: Promise<void> = Promise.resolve()
  let idle: Array<() => void> = []

  function kick(): void {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return
    scheduled = true
    // Let the messages already received be read and queued first. On PGlite the commit
    // runs on this thread and blocks reads, so without this yield every round under
    // load would hold one update.
    setImmediate(startRound)
  }

  function startRound(): void {
    scheduled = false
    if (queue.length === 0 || inFlight >= maxInFlight) return
    let take = Math.min(queue.length, opts.maxBatch)
    if (committing.size > 0) {
      // Not beside a round that still commits one of these documents: its sequences could
      // come after ours (two connections), so stop before the first such update.
      for (let i = 0; i < take; i++) {
        if (committing.has((queue[i] as Waiting).input.doc)) {
          take = i
          break
        }
      }
      if (take === 0) return // the round in flight kicks again when it finishes
    }
    const round = queue.slice(0, take)
    queue = queue.slice(round.length)
    inFlight++
    const docs = new Set(round.map((w) => w.input.doc))
    for (const d of docs) committing.set(d, (committing.get(d) ?? 0) + 1)
    // A log that throws instead of rejecting must not throw out of this timer callback.
    let appended: Promise<AppendResult[]>
    try {
      appended = log.append(round.map((w) => w.input))
    } catch (err) {
      appended = Promise.reject(err)
    }
    const previous = delivered
    delivered = (async () => {
      let results: AppendResult[] | null = null
      let failure: unknown = null
      try {
        results = await appended
      } catch (err) {
        failure = err
      }
      // One row the database cannot store (a value past what its column holds) must not
      // fail every terminal's updates in the round: retry them one by one.
      const rejected = new Map<Waiting, unknown>()
      let kept: readonly Waiting[] = round
      if (results === null && isRowError(failure)) {
        const isolated = round.length > 1 ? await isolate(round, rejected) : { kept: [], results: [] }
        if (round.length === 1) rejected.set(round[0] as Waiting, new RowRefusedError(failure))
        kept = isolated.kept
        results = isolated.results
      }
      // A failure in the previous round's delivery is its own; this round still delivers.
      await previous.catch(() => {})
      if (results === null) {
        for (const w of round) w.reject(failure)
        // What was queued behind these on the same documents fails too: committing it
        // would put a document's later update in the log without its earlier one.
        const behind = queue.filter((w) => docs.has(w.input.doc))
        if (behind.length > 0) {
          queue = queue.filter((w) => !docs.has(w.input.doc))
          for (const w of behind) w.reject(failure)
        }
        return
      }
      for (const [w, err] of rejected) w.reject(err)
      if (kept.length > 0) deliver(kept, results)
    })().finally(() => {
      inFlight--
      for (const d of docs) {
        const n = (committing.get(d) ?? 1) - 1
        if (n <= 0) committing.delete(d)
        else committing.set(d, n)
      }
      if (queue.length > 0) kick()
      else if (inFlight === 0) {
        const waiting = idle
        idle = []
        for (const w of waiting) w()
      }
    })
    // Handled here: an unhandled rejection would end the process; the next round still
    // waits on `delivered` and ignores its failure.
    delivered.catch((err: unknown) => opts.onError?.(err))
    // Another round may start while this one commits.
    kick()
  }

  /** Append each update of a failed round on its own; the ones that fail again are rejected. */
  async function isolate(round: readonly Waiting[], rejected: Map<Waiting, unknown>): Promise<{ kept: Waiting[]; results: AppendResult[] }> {
    const kept: Waiting[] = []
    const results: AppendResult[] = []
    for (const w of round) {
      try {
        const [r] = await log.append([w.input])
        kept.push(w)
        results.push(r as AppendResult)
      } catch (err) {
        rejected.set(w, isRowError(err) ? new RowRefusedError(err) : err)
      }
    }
    return { kept, results }
  }

  function deliver(round: readonly Waiting[], results: readonly AppendResult[]): void {
    const now = performance.now()
    const committed = round.map((w, i) => ({ input: w.input, result: results[i] as AppendResult }))
    try {
      opts.onCommitted(committed)
    } finally {
      opts.onRound?.(round.length, round.map((w) => now - w.queuedAt))
      for (const [i, w] of round.entries()) w.resolve(results[i] as AppendResult)
    }
  }

  return {
    append(input) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ input, queuedAt: performance.now(), resolve, reject })
        kick()
      })
    },
    settled() {
      return delivered.catch(() => {})
    },
    drain() {
      if (inFlight === 0 && queue.length === 0 && !scheduled) return Promise.resolve()
      return new Promise<void>((resolve) => idle.push(resolve))
    },
  }
}
