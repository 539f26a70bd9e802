/**
 * The promises checked after every hostile batch, and a ledger of the first input that
 * broke each. A broken promise does not stop the run (the other promises are still
 * worth checking on the next batches) unless the relay is gone; the test fails at the
 * end with every broken promise, its first input and the seed.
 *
 *  FZ1  the relay never exits (the process is alive, /healthz answers)
 *  FZ2  no forbidden root ever changes (relay copy and log; forbidden-roots.ts)
 *  FZ3  every refusal has an audit row an admin of that store can see, or an operator
 *       log row for anonymous ones (audit-check.ts)
 *  FZ4  the projection never stops for other documents (honest sales of both stores
 *       are projected)
 *  FZ5  valid traffic beside it is never lost (every acknowledged honest sale is in the log)
 *  RLY5 every websocket answer is typed (observe.ts); API5 every REST error is typed JSON
 */
import { unaudited, type Observed } from './audit-check.ts'
import { forbiddenChanges, type DocTarget } from './forbidden-roots.ts'
import type { FuzzRun } from './fuzz-config.ts'
import type { Honest } from './honest.ts'
import type { RelayHost } from './host.ts'

export const PROMISES = {
  FZ1: 'FZ1 the relay never exits',
  FZ2: 'FZ2 no forbidden root ever changes',
  FZ3: 'FZ3 every refusal has an audit row its store (or the operator) can see',
  FZ4: 'FZ4 the projection never stops for other documents',
  FZ5: 'FZ5 valid traffic beside it is never lost',
  RLY5: 'RLY5 every answer to hostile input is typed',
  API5: 'API5 every REST error to hostile input is a typed JSON 4xx',
} as const
export type PromiseId = keyof typeof PROMISES

export class RelayGone extends Error {}

export class Ledger {
  private readonly first = new Map<PromiseId, { batch: number; input: string; details: string[] }>()
  private batches = 0

  constructor(
    private readonly run: FuzzRun,
    private readonly host: RelayHost,
  ) {}

  /** Record a batch's broken promises; throws RelayGone once the relay has exited. */
  record(input: string, broken: ReadonlyArray<{ id: PromiseId; detail: string }>): void {
    const batch = ++this.batches
    for (const b of broken) {
      const have = this.first.get(b.id)
      if (!have) this.first.set(b.id, { batch, input, details: [b.detail] })
      else if (have.batch === batch && have.details.length < 8) have.details.push(b.detail)
    }
    if (broken.some((b) => b.id === 'FZ1') || this.host.exitInfo()) throw new RelayGone('the relay is gone')
  }

  /** Throw with every broken promise (or do nothing when all held). */
  assertHeld(): void {
    if (this.first.size === 0) return
    const parts = [...this.first.entries()].map(
      ([id, f]) => `${PROMISES[id]} — first in batch ${f.batch}\n    input: ${f.input}\n    ${f.details.map((d) => `- ${d}`).join('\n    ')}`,
    )
    throw new Error(`${this.run.tag([...this.first.keys()].join(', '))} after ${this.batches} batch(es):\n  ${parts.join('\n  ')}`)
  }
}

export interface World {
  readonly host: RelayHost
  readonly honest: Honest
  /** Documents whose forbidden roots are watched. */
  readonly targets: readonly DocTarget[]
  /** Set once the projection was found stuck. */
  stuck?: boolean
  /** Set when a test found a promise broken: its damage (a forged root, a stuck projection) must not be charged to the next test. */
  tainted?: boolean
}

/** Run the after-batch checks; what broke, by promise. */
export async function checkBatch(
  world: World,
  batch: { mark: number; observed: readonly Observed[]; problems?: ReadonlyArray<{ id: PromiseId; detail: string }>; audit?: boolean },
): Promise<Array<{ id: PromiseId; detail: string }>> {
  const { host, honest } = world
  const broken: Array<{ id: PromiseId; detail: string }> = [...(batch.problems ?? [])]
  let t = Date.now()
  const lap = (what: string) => {
    if (process.env.FUZZ_TIMING === '1') console.log(`[fuzz timing]   ${what} ${Date.now() - t} ms`)
    t = Date.now()
  }
  const health = await host.health()
  if (health) return [...broken, { id: 'FZ1', detail: health }]
  try {
    await honest.sellRound()
    await honest.sellOther()
  } catch (err) {
    broken.push({ id: 'FZ5', detail: `an honest sale was not acknowledged: ${(err as Error).message}` })
  }
  lap('honest sales')
  // Once the projection is known to be stuck, later batches need not wait the full bound for it again.
  const v = await honest.verify(world.stuck ? 1500 : undefined)
  if (v.unprojected.length > 0) world.stuck = true
  for (const l of v.lost) broken.push({ id: 'FZ5', detail: l })
  for (const u of v.unprojected) {
    // The worker's last complaint: the line after its "[projection]" tag names the error.
    const lines = host.stderr().split('\n')
    const at = lines.map((l, i) => (l.includes('[projection]') ? i : -1)).filter((i) => i >= 0).pop()
    const why = at === undefined ? '' : lines.slice(at, at + 3).join(' ').replace(/\s+/g, ' ').slice(0, 400)
    broken.push({ id: 'FZ4', detail: `${u}${why ? `; the projection logged: ${why}` : ''}` })
  }
  lap('verify')
  for (const target of world.targets) for (const c of await forbiddenChanges(host, target)) broken.push({ id: 'FZ2', detail: c })
  lap('forbidden roots')
  if (batch.audit !== false) for (const u of await unaudited(host, batch.mark, batch.observed)) broken.push({ id: 'FZ3', detail: u })
  lap('audit')
  const after = await host.health()
  if (after) broken.push({ id: 'FZ1', detail: after })
  return broken
}
