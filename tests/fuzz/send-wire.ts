/** Sends one hostile upgrade input (gen-wire.ts) on a bare socket and reads the answer as refusals and problems. */
import { Mux, YMessage, encodeMux } from '@tally/schema'
import type { InputResult } from './batches.ts'
import type { PromiseId, World } from './checks.ts'
import { buildFrame, requestTarget, tokenStore, type UpgradeInput } from './gen-wire.ts'
import { muxProbeAnswered, observe, syncProbeAnswered } from './observe.ts'
import { rawUpgrade } from './raw-ws.ts'
import { tokenOf } from './tokens.ts'

const MUX_PROBE = { bytes: encodeMux({ type: Mux.subscribe, docs: [] }), answered: muxProbeAnswered }
const SYNC_PROBE = { bytes: Uint8Array.of(YMessage.queryAwareness), answered: syncProbeAnswered }

/** Run one upgrade input; what it was refused and what was wrong with the answers. */
export async function hit(w: World, input: UpgradeInput, label: string): Promise<InputResult> {
  const token = await tokenOf(w.host, input.query.token, input.query.garbage)
  const mux = input.path === '/mux'
  const out = await rawUpgrade(w.host.port, requestTarget(input.path, input.query, token), {
    send: input.frames.map(buildFrame),
    probe: mux ? MUX_PROBE : SYNC_PROBE,
    waitFirst: !mux,
  })
  const seen = observe(out, mux, tokenStore(input.query.token), label)
  const problems: Array<{ id: PromiseId; detail: string }> = seen.problems.map((detail) => ({ id: 'RLY5', detail }))
  return { refusals: seen.refusals, problems }
}

