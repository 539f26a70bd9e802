/**
 * The second ack level behind a store hub. A hub's ack means "safe in the store" (its
 * own durable log); central holding the entry ("safe at HQ") comes later, in `hq`
 * frames naming the entries' ids. Entries acknowledged by a hub wait here until one
 * names them. On every (re)connect the client asks the relay about the ones still
 * waiting (an `hq` frame from client to relay): the hub answers for those it forwarded
 * while the terminal was away, and a central relay for those it holds in its log.
 *
 * An ack from a relay that is not a hub is itself "at HQ". Kept in memory: after a
 * reload the waiting set starts empty (the outbox still shows what is not even in
 * the store).
 */
export class HqTracker {
  /** The hub this socket talks to (its `hub` frame), or null for a central relay. */
  hub: string | null = null
  private readonly waiting = new Map<string, Set<string>>()
  private count = 0

  /** Entries acknowledged but not yet known to be held at HQ. */
  get size(): number {
    return this.count
  }

  /** A new socket: it says whether it is a hub before it answers anything. */
  reset(): void {
    this.hub = null
  }

  acked(doc: string, ids: readonly string[]): boolean {
    if (this.hub === null) return this.held(doc, ids)
    let set = this.waiting.get(doc)
    if (!set) this.waiting.set(doc, (set = new Set()))
    const before = set.size
    for (const id of ids) set.add(id)
    this.count += set.size - before
    return set.size !== before
  }

  /** Central holds these entries; true if any was waiting. */
  held(doc: string, ids: readonly string[]): boolean {
    const set = this.waiting.get(doc)
    if (!set) return false
    const before = set.size
    for (const id of ids) set.delete(id)
    this.count -= before - set.size
    if (set.size === 0) this.waiting.delete(doc)
    return set.size !== before
  }

  /** What to ask the relay about after a reconnect, per document (in chunks). */
  questions(chunk = 500): Array<{ doc: string; updateIds: string[] }> {
    const out: Array<{ doc: string; updateIds: string[] }> = []
    for (const [doc, set] of this.waiting) {
      const ids = [...set]
      for (let i = 0; i < ids.length; i += chunk) out.push({ doc, updateIds: ids.slice(i, i + chunk) })
    }
    return out
  }
}
