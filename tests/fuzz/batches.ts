/**
 * The loop every fuzz test runs: fast-check draws batches of hostile inputs from a fixed
 * (printed) seed; each input is sent and what it was refused is noted; after the batch
 * the promises are checked (checks.ts) and the ledger keeps the first input that broke
 * each. The test fails at the end with all of them.
 */
import fc from 'fast-check'
import type { Observed } from './audit-check.ts'
import { auditMark } from './audit-check.ts'
import { Ledger, RelayGone, checkBatch, type PromiseId, type World } from './checks.ts'
import { fuzzRun, show } from './fuzz-config.ts'

/** FUZZ_TIMING=1 prints how long each input and each batch's checks took. */
const TIMING = process.env.FUZZ_TIMING === '1'

export interface InputResult {
  refusals: Observed[]
  problems: Array<{ id: PromiseId; detail: string }>
}

export interface BatchOptions<T> {
  suite: string
  file: string
  ruleId: string
  runs: number
  batch: number
  arb: fc.Arbitrary<T>
  one: (input: T, label: string) => Promise<InputResult>
  /** Optional: wait for what the batch set in motion before checking (e.g. projector write-backs). */
  settle?: () => Promise<void>
}

export async function fuzzBatches<T>(w: World, o: BatchOptions<T>): Promise<void> {
  const run = fuzzRun(o.suite, { file: o.file, ruleId: o.ruleId, runs: o.runs, batch: o.batch })
  const ledger = new Ledger(run, w.host)
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(o.arb, { minLength: run.batch, maxLength: run.batch }), async (inputs) => {
        const mark = await auditMark(w.host)
        const observed: Observed[] = []
        const problems: InputResult['problems'] = []
        for (const input of inputs) {
          const label = show(input)
          const started = Date.now()
          const r = await o.one(input, label)
          if (TIMING) console.log(`[fuzz timing] input ${Date.now() - started} ms ${label.slice(0, 160)}`)
          observed.push(...r.refusals)
          problems.push(...r.problems)
          // An answer gone wrong may be the relay dying: ask it now, so the death is pinned on this input.
          const gone = w.host.exitInfo() ?? (r.problems.length > 0 ? await w.host.health() : null)
          if (gone) {
            problems.push({ id: 'FZ1', detail: `${label}: ${gone}` })
            break
          }
        }
        if (!problems.some((p) => p.id === 'FZ1')) await o.settle?.()
        const checking = Date.now()
        const broken = problems.some((p) => p.id === 'FZ1') ? problems : await checkBatch(w, { mark, observed, problems })
        if (TIMING) console.log(`[fuzz timing] checks ${Date.now() - checking} ms`)
        ledger.record(show(inputs, 3000), broken)
      }),
      run.params,
    )
  } catch (err) {
    // The relay died: the ledger already holds that (and the input that did it).
    if (!(err instanceof RelayGone) && !((err as { cause?: unknown })?.cause instanceof RelayGone)) throw err
  }
  try {
    ledger.assertHeld()
  } catch (err) {
    w.tainted = true
    throw err
  }
}
