/**
 * Updates the write check accepted for a document that are still on their way to the
 * log: their new structs, each with the root types it lands in, and their bytes. The
 * next update of a pipelining client builds on them before they are applied, so the
 * check resolves references into them as it would into the document; and a resend of
 * one of them adds nothing (RLY7).
 *
 * Only structs the check could place are noted (it refuses the rest), so everything here
 * will integrate where it says once its row is applied. An entry leaves when its commit
 * settles: applied to the document by then, or failed and never there.
 */
import * as Y from 'yjs'

/** A run of one client's new structs and the roots they write into. */
export interface PlacedRange {
  readonly client: number
  readonly clock: number
  readonly end: number
  readonly roots: readonly string[]
}

/** What the write check asks of queued content. */
export interface QueuedView {
  /** Clock up to which the client's structs are known: committed, or queued and placed. */
  known(client: number): number
  /** The queued range holding `id`, if any. */
  find(id: Y.ID): PlacedRange | undefined
  /** Bytes of the queued updates, oldest first (for the exact check by copy). */
  updates(): readonly Uint8Array[]
}

interface Tagged extends PlacedRange {
  readonly tag: number
}

export class QueuedStructs implements QueuedView {
  private readonly byClient = new Map<number, Tagged[]>()
  private readonly queued: Array<{ tag: number; bytes: Uint8Array }> = []
  private nextTag = 1
  private settledAll: Promise<unknown> = Promise.resolve()

  constructor(private readonly committedState: (client: number) => number) {}

  get size(): number {
    return this.queued.length
  }

  known(client: number): number {
    let k = this.committedState(client)
    const list = this.byClient.get(client)
    if (!list) return k
    // Sorted by clock: only runs contiguous with what is known extend it.
    for (const r of list) if (r.clock <= k && r.end > k) k = r.end
    return k
  }

  find(id: Y.ID): PlacedRange | undefined {
    const list = this.byClient.get(id.client)
    if (!list) return undefined
    for (const r of list) if (id.clock >= r.clock && id.clock < r.end) return r
    return undefined
  }

  updates(): readonly Uint8Array[] {
    return this.queued.map((q) => q.bytes)
  }

  /** Note an accepted update on its way to the log; forgotten once `committed` settles. */
  add(placed: readonly PlacedRange[], bytes: Uint8Array, committed: Promise<unknown>): void {
    const tag = this.nextTag++
    for (const p of placed) {
      let list = this.byClient.get(p.client)
      if (!list) this.byClient.set(p.client, (list = []))
      let i = list.length
      while (i > 0 && (list[i - 1] as Tagged).clock > p.clock) i--
      list.splice(i, 0, { ...p, tag })
    }
    this.queued.push({ tag, bytes })
    const forget = () => this.remove(tag)
    committed.then(forget, forget)
    const all = Promise.all([this.settledAll, committed])
    // Handled here so a failed commit is never an unhandled rejection; callers still see it.
    all.catch(() => {})
    this.settledAll = all
  }

  /** Resolves when every update noted so far has committed; rejects if one failed. */
  settled(): Promise<unknown> {
    return this.settledAll
  }

  private remove(tag: number): void {
    for (const [client, list] of this.byClient) {
      const kept = list.filter((r) => r.tag !== tag)
      if (kept.length === 0) this.byClient.delete(client)
      else if (kept.length !== list.length) this.byClient.set(client, kept)
    }
    const i = this.queued.findIndex((q) => q.tag === tag)
    if (i >= 0) this.queued.splice(i, 1)
  }
}
