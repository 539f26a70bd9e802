/**
 * Runs Tally from a committed revision instead of the working tree: several engineers
 * edit the tree while a bench runs, and a half-saved file must not decide the numbers.
 * `git archive <ref>` is exported to a temporary directory whose node_modules links to
 * the repository's installed packages, except the workspace packages (@tally/*), which
 * point into the snapshot itself.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './spawn.ts'

export interface Snapshot {
  readonly root: string
  /** The commit id the snapshot holds. */
  readonly commit: string
  remove(): void
}

export function snapshotRevision(ref: string): Snapshot {
  const commit = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim()
  const root = mkdtempSync(join(tmpdir(), `tally-bench-src-${commit.slice(0, 8)}-`))
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', REPO_ROOT, commit, root])
  const modules = join(REPO_ROOT, 'node_modules')
  const own = join(root, 'node_modules')
  mkdirSync(own)
  for (const entry of readdirSync(modules)) {
    if (entry === '@tally') continue
    symlinkSync(join(modules, entry), join(own, entry))
  }
  mkdirSync(join(own, '@tally'))
  for (const pkg of readdirSync(join(modules, '@tally'))) {
    // Same relative targets as npm made them (../../packages/x), now inside the snapshot.
    symlinkSync(readlinkSync(join(modules, '@tally', pkg)), join(own, '@tally', pkg))
  }
  return { root, commit, remove: () => rmSync(root, { recursive: true, force: true }) }
}
