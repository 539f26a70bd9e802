/**
 * What the relay (or the device, for an oversize edit) refused, per document: shown to
 * the user, never resent. Refused outbox entries stay in storage, so this log is rebuilt
 * from them after a reload; whole-document refusals live for the session only.
 */
import type { OutboxEntry } from './outbox.ts'
import type { Refusal } from './types.ts'

export class RefusalLog {
  private readonly byDoc = new Map<string, Map<string, Refusal>>()

  /** Replace a document's entry refusals with those loaded from its outbox. */
  loaded(doc: string, entries: readonly OutboxEntry[]): void {
    const m = new Map<string, Refusal>()
    for (const e of entries) if (e.refused) m.set(e.id, { doc, updateId: e.id, ...e.refused })
    if (m.size > 0) this.byDoc.set(doc, m)
  }

  add(refusal: Refusal): void {
    let m = this.byDoc.get(refusal.doc)
    if (!m) this.byDoc.set(refusal.doc, (m = new Map()))
    m.set(refusal.updateId, refusal)
  }

  list(doc?: string): Refusal[] {
    const out: Refusal[] = []
    for (const [name, m] of this.byDoc) if (doc === undefined || name === doc) out.push(...m.values())
    return out
  }

  forget(doc: string): void {
    this.byDoc.delete(doc)
  }
}
