/**
 * Projecting a batch so that one document the database refuses costs only itself. Each
 * attempt runs in a savepoint of the batch's transaction; when one fails for a reason of
 * the data (quarantine.ts `isDocumentError`), its halves are tried apart (bisection: one
 * bad document among n costs about 2 log2 n attempts), down to the single documents that
 * fail alone. Those are quarantined in the same transaction, and the rest commit with the
 * checkpoint, so other documents and stores go on and the log can be pruned past it.
 * Any other error (connection, serialisation, our own SQL) fails the whole batch, which
 * is retried: nothing is quarantined for a fault that is not the document's.
 */
import type { Tx } from '@tally/schema/db'
import type { CachedDoc, DocStore, KnownRows } from './doc-store.ts'
import { projectDocs, type BatchDeps, type BatchOutcome } from './project-batch.ts'
import { isDocumentError, quarantine, release, type Unprojectable } from './quarantine.ts'

export interface IsolatingDeps extends BatchDeps {
  docs: DocStore
  deferStock: boolean
}

export interface IsolatedOutcome {
  verdicts: number
  /** Log seqs of verdicts appended into documents the cache holds. */
  ownSeqs: number[]
  quarantined: Unprojectable[]
}

export async function projectIsolating(deps: IsolatingDeps, tx: Tx, names: readonly string[], known: KnownRows | undefined): Promise<IsolatedOutcome> {
  const { docs, writer } = deps
  const done: BatchOutcome[] = []
  const failed: Unprojectable[] = []
  const forget = (set: readonly string[]) => {
    // A failed attempt's in-memory effects (verdicts captured into cached documents,
    // catalog edits) rolled back with its savepoint: drop them, reload from the log.
    for (const n of set) docs.delete(n)
    writer.invalidate()
  }
  const attempt = async (set: readonly string[]): Promise<void> => {
    try {
      done.push(await tx.transaction(async (sp) => projectDocs(deps, sp, (await docs.loadMany(sp, set, known)) as Map<string, CachedDoc>)))
    } catch (e) {
      if (!isDocumentError(e)) throw e
      forget(set)
      if (set.length === 1) failed.push({ doc: set[0] as string, error: e })
      else {
        const mid = Math.ceil(set.length / 2)
        await attempt(set.slice(0, mid))
        await attempt(set.slice(mid))
      }
    }
  }
  await attempt(names)
  const bad = new Set(failed.map((f) => f.doc))
  await release(
    tx,
    names.filter((n) => !bad.has(n)),
  )
  let seqs: number[] = []
  if (failed.length > 0) {
    const load = (list: string[]) => docs.loadMany(tx, list, known)
    try {
      seqs = await tx.transaction((sp) => quarantine(deps, sp, failed, load))
    } catch (e) {
      if (!isDocumentError(e)) throw e
      // Even taking its rows back failed (a stock sum out of range, say): record the
      // quarantine alone, so the batch still commits past it.
      forget(failed.map((f) => f.doc))
      await quarantine(deps, tx, failed, load, { recordOnly: true })
    }
  }
  return {
    verdicts: done.reduce((n, o) => n + o.verdicts, 0) + seqs.length,
    ownSeqs: [...done.flatMap((o) => o.ownSeqs), ...seqs],
    quarantined: failed,
  }
}
