/**
 * What the relay answered one hostile connection, read as refusals (each must have its
 * audit row) and as protocol problems ([RLY5]: every answer is typed; nothing hangs,
 * nothing is dropped without a close code, nothing is an internal error).
 */
import * as decoding from 'lib0/decoding'
import { ErrorCode, Mux, YMessage, decodeMux, type MuxFrame } from '@tally/schema'
import type { Observed } from './audit-check.ts'
import type { RawOutcome } from './raw-ws.ts'

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode))

export function muxFrames(bytes: Uint8Array): MuxFrame[] {
  const f = decodeMux(bytes)
  if (!f.ok) return []
  return f.value.type === Mux.batch ? f.value.frames.flatMap(muxFrames) : [f.value]
}

/** A probe answered once everything before it was handled: an empty subscribe's `subscribed []`. */
export const muxProbeAnswered = (m: Uint8Array): boolean => muxFrames(m).some((f) => f.type === Mux.subscribed && f.docs.length === 0)
export const syncProbeAnswered = (m: Uint8Array): boolean => m[0] === YMessage.awareness

export function observe(out: RawOutcome, mux: boolean, store: string | null, input: string): { refusals: Observed[]; problems: string[] } {
  const refusals: Observed[] = []
  const problems: string[] = []
  for (const m of out.messages) {
    if (mux) {
      for (const f of muxFrames(m)) if (f.type === Mux.error) refusals.push({ store, code: f.code, input: `${input} (error frame on ${JSON.stringify(f.doc).slice(0, 80)})` })
    } else if (m[0] === YMessage.error) {
      const d = decoding.createDecoder(m)
      decoding.readVarUint(d)
      refusals.push({ store, code: decoding.readVarString(d), input: `${input} (error message)` })
    }
  }
  if (out.closeCode !== null && out.closeCode !== 1000 && out.closeCode !== 1005) {
    const code = out.closeCode === 1009 ? ErrorCode.tooLarge : (out.closeReason.split(':')[0] ?? '')
    if (!CODES.has(code)) problems.push(`close ${out.closeCode} "${out.closeReason}" names no error code, for ${input}`)
    else if (code === ErrorCode.internal || code === ErrorCode.unavailable) problems.push(`an internal error (close ${out.closeCode} "${out.closeReason}") for ${input}`)
    refusals.push({ store, code, input: `${input} (close ${out.closeCode})` })
  }
  if (out.timedOut) problems.push(`no answer within the bound for ${input}`)
  else if (out.status === 101 && out.closeCode === null && !out.probed) problems.push(`connection dropped without a close code or an answer, for ${input}`)
  else if (out.status !== null && out.status >= 500) problems.push(`HTTP ${out.status} to the upgrade of ${input}`)
  return { refusals, problems }
}
