/**
 * The safety net behind the outbox. An acknowledged edit leaves the outbox, so if the
 * relay later loses committed rows (a database restored from backup, an embedded
 * database after a power cut), nothing would ever send them again. The relay's sync
 * step 1 shows its state vector: any struct this device holds past that vector, and not
 * covered by an outbox entry on its way, is missing on the relay and goes back as a new
 * outbox entry. Yjs applies it idempotently; a new id means the relay appends it.
 *
 * Deletions cannot be checked this way (a state vector does not show them); the repair
 * update carries the whole delete set, so a lost delete is restored along with any lost
 * insert, which is the best a state vector allows.
 */
import * as Y from 'yjs'
import type { OutboxEntry } from './outbox.ts'

/** The update the relay is missing, or undefined when it has every struct we have. */
export function missingOnRelay(doc: Y.Doc, relayStateVector: Uint8Array, outbox: readonly OutboxEntry[]): Uint8Array | undefined {
  let covered: Map<number, number>
  try {
    covered = Y.decodeStateVector(relayStateVector)
  } catch {
    return undefined
  }
  // Entries in flight (or refused: resending those would only be refused again) cover
  // the clock ranges they carry; extend the relay's clocks through contiguous ranges.
  const ranges = new Map<number, Array<[number, number]>>()
  for (const entry of outbox) {
    const { from, to } = Y.parseUpdateMeta(entry.update)
    for (const [client, start] of from) {
      const end = to.get(client) ?? start
      if (end <= start) continue
      let list = ranges.get(client)
      if (!list) ranges.set(client, (list = []))
      list.push([start, end])
    }
  }
  for (const [client, list] of ranges) {
    let clock = covered.get(client) ?? 0
    for (const [start, end] of list.sort((a, b) => a[0] - b[0])) if (start <= clock && end > clock) clock = end
    covered.set(client, clock)
  }
  let behind = false
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if ((covered.get(client) ?? 0) < clock) behind = true
  }
  if (!behind) return undefined
  return Y.encodeStateAsUpdate(doc, Y.encodeStateVector(covered))
}

