/**
 * The y-protocols sync message inside a mux `sync` frame: varUint step, varUint8Array
 * payload (a state vector for step 1, an update for step 2 and update).
 */
import * as decoding from 'lib0/decoding'

export const SyncStep = { step1: 0, step2: 1, update: 2 } as const
export type SyncStep = (typeof SyncStep)[keyof typeof SyncStep]

/** Parse untrusted bytes; undefined when malformed or of an unknown step. */
export function parseSyncMessage(bytes: Uint8Array): { step: SyncStep; payload: Uint8Array } | undefined {
  try {
    const d = decoding.createDecoder(bytes)
    const step = decoding.readVarUint(d)
    const payload = decoding.readVarUint8Array(d)
    if (step !== SyncStep.step1 && step !== SyncStep.step2 && step !== SyncStep.update) return undefined
    return { step, payload }
  } catch {
    return undefined
  }
}
