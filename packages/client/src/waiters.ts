/**
 * Promises waiting on a per-document (or client-wide, doc undefined) condition; the
 * client settles them when the state they wait on changes.
 */
export class Waiters {
  private list: Array<{ doc: string | undefined; resolve: () => void; reject: (err: unknown) => void }> = []

  wait(doc: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => this.list.push({ doc, resolve, reject }))
  }

  /** Resolve every waiter whose condition now holds. */
  resolveWhere(holds: (doc: string | undefined) => boolean): void {
    this.list = this.list.filter((w) => {
      if (!holds(w.doc)) return true
      w.resolve()
      return false
    })
  }

  rejectDoc(doc: string, err: unknown): void {
    this.list = this.list.filter((w) => {
      if (w.doc !== doc) return true
      w.reject(err)
      return false
    })
  }

  rejectAll(err: unknown): void {
    for (const w of this.list.splice(0)) w.reject(err)
  }
}
