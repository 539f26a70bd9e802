/**
 * Seeds and sizes for the standing fuzz suite. The default seed is fixed, so a CI run
 * is reproducible; FUZZ_SEED and FUZZ_RUNS override it for long local runs
 * (`FUZZ_SEED=7 FUZZ_RUNS=500 npx vitest run tests/fuzz`). The seed is printed on every
 * run and named in every failure, never drawn silently from the clock.
 */
import fc from 'fast-check'

export const DEFAULT_SEED = 20261201

export interface FuzzRun {
  readonly seed: number
  readonly runs: number
  /** Hostile inputs per batch (the checks run after each batch). */
  readonly batch: number
  /** fast-check parameters: stop at the first failure, since the relay's state is shared by runs. */
  readonly params: fc.Parameters<unknown>
  /** Prefix for a failure message: suite, seed, and how to replay it. */
  tag(promise: string): string
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`)
  return n
}

/**
 * `runs` batches of `batch` inputs: the CI default for this suite; FUZZ_RUNS and FUZZ_BATCH
 * override. `file` and `ruleId` make the printed replay command.
 */
export function fuzzRun(suite: string, defaults: { file: string; ruleId: string; runs: number; batch: number }): FuzzRun {
  const seed = intEnv('FUZZ_SEED', DEFAULT_SEED)
  const runs = intEnv('FUZZ_RUNS', defaults.runs)
  const batch = intEnv('FUZZ_BATCH', defaults.batch)
  const replay = `FUZZ_SEED=${seed} FUZZ_RUNS=${runs} FUZZ_BATCH=${batch} npx vitest run tests/fuzz/${defaults.file} -t '${defaults.ruleId}'`
  console.log(`[fuzz] ${suite}: seed ${seed}, ${runs} batches of ${batch} (replay: ${replay})`)
  return {
    seed,
    runs,
    batch,
    params: { seed, numRuns: runs, endOnFailure: true },
    tag: (promise) => `[fuzz ${suite} seed=${seed}] ${promise} broken (replay: ${replay})`,
  }
}

/** A short, printable picture of a hostile input for failure messages (no megabytes). */
export function show(v: unknown, max = 300): string {
  const s = JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Uint8Array) return `<${x.byteLength} bytes: ${Buffer.from(x.subarray(0, 24)).toString('hex')}${x.byteLength > 24 ? '…' : ''}>`
    if (typeof x === 'string' && x.length > 120) return `${x.slice(0, 60)}…<${x.length} chars>`
    if (typeof x === 'bigint') return `${x}n`
    return x
  })
  return s === undefined ? String(v) : s.length > max ? `${s.slice(0, max)}…` : s
}
