/**
 * Awareness is relayed in memory to everyone on a document, so it is where one socket
 * could cost every bystander bandwidth (150 updates of 1 MiB each were fanned out) or
 * rewrite another client's presence. Before an awareness update is applied: it is
 * bounded in size, within the connection's byte budget, and it only sets client ids this
 * connection introduced (a few per document) or ids nobody holds yet.
 */
import * as decoding from 'lib0/decoding'
import { applyAwarenessUpdate } from 'y-protocols/awareness'
import { ErrorCode } from '@tally/schema'
import type { RateLimiter } from '../rate-limit.ts'
import type { LoadedDoc, Subscriber } from './loaded-doc.ts'

export interface AwarenessLimits {
  readonly maxBytes: number
  readonly clientsPerConnection: number
  /** Byte budget per connection (cost = bytes of each update). */
  readonly budget: RateLimiter
}

export type AwarenessOutcome = { ok: true } | { ok: false; code: ErrorCode; reason: string }

/** The client ids an awareness update sets (decoding only the envelope). */
function clientIds(update: Uint8Array): number[] | null {
  try {
    const d = decoding.createDecoder(update)
    const n = decoding.readVarUint(d)
    if (n > update.byteLength) return null
    const ids: number[] = []
    for (let i = 0; i < n; i++) {
      ids.push(decoding.readVarUint(d))
      decoding.readVarUint(d)
      decoding.readVarString(d)
    }
    return ids
  } catch {
    return null
  }
}

function ownerOf(doc: LoadedDoc, client: number): Subscriber | null {
  for (const [s, ids] of doc.awarenessOf) if (ids.has(client)) return s
  return null
}

export function budgetKey(subscriber: Subscriber): string {
  return `awareness\u0000${subscriber.id}`
}

/** Check and apply one awareness update from `from`; nothing of a refused one is applied. */
export function applyAwareness(doc: LoadedDoc, update: Uint8Array, from: Subscriber, limits: AwarenessLimits): AwarenessOutcome {
  if (update.byteLength > limits.maxBytes) {
    return { ok: false, code: ErrorCode.tooLarge, reason: `awareness update of ${update.byteLength} bytes exceeds ${limits.maxBytes}` }
  }
  const ids = clientIds(update)
  if (ids === null) return { ok: false, code: ErrorCode.malformed, reason: 'awareness update does not decode' }
  const mine = doc.awarenessOf.get(from)
  let fresh = 0
  for (const id of new Set(ids)) {
    const owner = ownerOf(doc, id)
    if (owner !== null && owner !== from) {
      return { ok: false, code: ErrorCode.forbiddenWrite, reason: `awareness client ${id} belongs to another connection` }
    }
    if (owner === null && !(mine?.has(id) ?? false)) fresh++
  }
  if ((mine?.size ?? 0) + fresh > limits.clientsPerConnection) {
    return { ok: false, code: ErrorCode.badRequest, reason: `at most ${limits.clientsPerConnection} awareness clients per connection and document` }
  }
  const budget = limits.budget.take(budgetKey(from), Date.now(), update.byteLength)
  if (!budget.ok) return { ok: false, code: ErrorCode.rateLimited, reason: `awareness budget exceeded; retry in ${budget.retryAfterMs} ms` }
  applyAwarenessUpdate(doc.awareness, update, from)
  return { ok: true }
}
