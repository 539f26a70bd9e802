/** Which Tally sources a bench runs: a committed snapshot (default HEAD) or the working tree. */
import { snapshotRevision } from './servers/snapshot.ts'

/** `worktree` runs the files as they are now; anything else is a git revision to snapshot. */
export function tallySource(ref: string): { root: string | undefined; describe: string; remove(): void } {
  if (ref === 'worktree') return { root: undefined, describe: 'working tree (uncommitted edits included)', remove: () => {} }
  const snap = snapshotRevision(ref)
  return { root: snap.root, describe: `commit ${snap.commit}`, remove: snap.remove }
}
