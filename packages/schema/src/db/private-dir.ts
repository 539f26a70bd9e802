/**
 * The data directory holds users' password hashes, the update log and the audit log, so
 * nothing in it may be readable by other local users. PGlite's Node filesystem creates
 * its files with mode 0666 whatever Postgres asks for (measured: 968 of 1,067 files of a
 * new cluster), so the relay tightens the process umask (new files 0600, directories
 * 0700) and walks the directory to repair what is already there (an older start, a
 * cluster made by the initdb child, files PGlite rewrites with an explicit mode).
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * New files and directories of this process are its owner's only. Worker threads cannot
 * set the umask (Node refuses); there the walks below still repair every mode.
 */
export function restrictUmask(): void {
  try {
    const old = process.umask(0o077)
    process.umask(old | 0o077)
  } catch {
    // worker thread: see above
  }
}

/** Create `dir` (and parents) if missing and make it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
}

/**
 * `dir` itself 0700, every directory below it 0700 and every file 0600; symbolic links
 * are not followed (a link planted inside must not make us chmod a file elsewhere).
 * Returns how many entries it had to change.
 */
export function restrictTree(dir: string): number {
  let changed = 0
  const fix = (path: string, mode: number, want: number) => {
    if ((mode & 0o777) === want) return
    try {
      chmodSync(path, want)
      changed++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  const walk = (path: string) => {
    for (const e of readdirSync(path, { withFileTypes: true })) {
      const p = join(path, e.name)
      if (e.isSymbolicLink()) continue
      let st
      try {
        st = lstatSync(p)
      } catch {
        continue // removed meanwhile (a temporary file of Postgres)
      }
      if (st.isDirectory()) {
        fix(p, st.mode, PRIVATE_DIR_MODE)
        walk(p)
      } else if (st.isFile()) {
        fix(p, st.mode, PRIVATE_FILE_MODE)
      }
    }
  }
  ensurePrivateDir(dir)
  walk(dir)
  return changed
}
