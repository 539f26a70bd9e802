/**
 * One process per PGlite data directory. PGlite has no postmaster to turn a second
 * opener away, and two processes writing one directory corrupt it, so the directory
 * gets a lock file beside it (`<dir>.lock`) holding the owner's pid and start time. A
 * lock whose owner is gone (a `kill -9`, a power cut) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'

export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `the database in ${dir} is open in another process (pid ${pid}). PGlite allows one process per data directory: ` +
        'stop that process first (npm start, npm run user, npm run project), or give every process a real Postgres with DATABASE_URL',
    )
    this.name = 'DataDirBusyError'
  }
}

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm) " start at field 3; the start time is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    return ''
  }
}

function holds(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  const now = startTime(pid)
  // A live pid with another start time is a new process that reused the number.
  return now === '' || start === '' || now === start
}

/** Take the directory's lock; returns its release. Throws DataDirBusyError if it is held. */
export function lockDataDir(dir: string): () => void {
  const path = `${resolve(dir)}.lock`
  const me = `${process.pid} ${startTime(process.pid)}`
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, me)
      closeSync(fd)
      return () => {
        try {
          if (readFileSync(path, 'utf8') === me) unlinkSync(path)
        } catch {
          // already gone
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    let owner = ''
    try {
      owner = readFileSync(path, 'utf8').trim()
    } catch {
      continue // released meanwhile: try again
    }
    const [pidText = '', start = ''] = owner.split(' ')
    const pid = Number(pidText)
    if (Number.isInteger(pid) && pid > 0 && holds(pid, start)) throw new DataDirBusyError(dir, pid)
    try {
      unlinkSync(path) // its owner is gone
    } catch {
      // someone else cleared it first
    }
  }
  throw new Error(`could not take the lock ${path}`)
}
