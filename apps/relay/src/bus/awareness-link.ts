/**
 * Awareness between relays: which awareness changes of a document leave for the bus, and
 * how the other relays' ones are applied. Memory only: nothing here touches the log.
 *
 * - Out: changes a client of this relay made (origin: its subscriber) and the removals
 *   when it leaves (origin null: `unsubscribe`). Not the awareness protocol's own timeout
 *   removals (every relay times a silent client out by itself, 30 s after its last
 *   renewal, which is also how a dead relay's clients disappear elsewhere), nor what came
 *   from the bus (it would echo between relays forever).
 * - In: applied with the bus as origin, so the registry forwards them to every local
 *   subscriber and records no local owner for them. A client that moves to this relay
 *   keeps its awareness client id: nobody holds it here, so it may set it (RLY2), and its
 *   higher clock wins over the copy that came from its old relay.
 * - Queries: a relay that starts holding a document asks; the others answer with the
 *   states their own clients hold there, so a late joiner sees them at once.
 */
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { LoadedDoc } from '../sync/loaded-doc.ts'
import type { AwarenessBus } from './nats-bus.ts'

/** The origin of awareness updates applied from the bus. */
export const FROM_BUS = Symbol('awareness from another relay')

export function leavesForBus(doc: LoadedDoc, origin: unknown): boolean {
  if (origin === FROM_BUS) return false
  return origin === null || doc.subscribers.has(origin as never)
}

/**
 * When the document's awareness comes to life here (its first client's presence), ask the
 * other relays for theirs: the answers land in an awareness that exists, so none is lost
 * to a document still loading.
 */
export function askOnFirstAwareness(doc: LoadedDoc, bus: AwarenessBus): void {
  const wire = doc.onAwareness
  doc.onAwareness = (awareness) => {
    wire?.(awareness)
    bus.queryAwareness(doc.name)
  }
}

/** Apply other relays' awareness to the documents this relay holds, and answer their queries. */
export function followBusAwareness(bus: AwarenessBus, docOf: (name: string) => LoadedDoc | undefined): () => void {
  const offUpdates = bus.onAwareness((name, update) => {
    const doc = docOf(name)
    if (!doc) return
    try {
      applyAwarenessUpdate(doc.awareness, update, FROM_BUS)
    } catch {
      // Another relay sent bytes that do not decode: presence is best effort, drop them.
    }
  })
  const offQueries = bus.onAwarenessQuery((name) => {
    const doc = docOf(name)
    if (!doc || doc.awarenessOf.size === 0) return
    const ids: number[] = []
    for (const set of doc.awarenessOf.values()) for (const id of set) if (doc.awareness.getStates().has(id)) ids.push(id)
    if (ids.length > 0) bus.publishAwareness(name, encodeAwarenessUpdate(doc.awareness, ids))
  })
  return () => {
    offUpdates()
    offQueries()
  }
}
