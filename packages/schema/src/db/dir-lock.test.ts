/**
 * One process per PGlite directory: a second opener gets a clear error naming the
 * holder, and a lock left by a killed process does not keep the database shut.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { DataDirBusyError, lockDataDir } from './dir-lock.ts'
import { openDatabase } from './open.ts'
import { query } from './raw-sql.ts'

const root = mkdtempSync(join(tmpdir(), 'tally-lock-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('PGlite data directory lock', () => {
  it('[DB1] a second open of a directory in use is refused with the holder named; after close it opens', async () => {
    const dir = join(root, 'pg')
    const first = await openDatabase({ dataDir: dir })
    try {
      const second = openDatabase({ dataDir: dir })
      await expect(second).rejects.toBeInstanceOf(DataDirBusyError)
      await expect(second).rejects.toThrow(`open in another process (pid ${process.pid})`)
    } finally {
      await first.close()
    }
    const again = await openDatabase({ dataDir: dir })
    await again.close()
  }, 60_000)

  it('[DB1] a lock left by a process that is gone (kill -9) is taken over', () => {
    const dir = join(root, 'stale')
    // A real pid that has exited by now.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(`${dir}.lock`, `${gone.stdout} 12345`)
    const release = lockDataDir(dir)
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError)
    release()
    lockDataDir(dir)()
  })

  it('[DB1] a lock whose pid now belongs to another process (a reused number) is taken over', () => {
    const dir = join(root, 'reused')
    // Our own pid, but a start time that is not ours: the holder was an earlier process.
    writeFileSync(`${dir}.lock`, `${process.pid} 1`)
    lockDataDir(dir)()
  })
})

describe('creating a PGlite cluster', () => {
  it('[DB1] a new directory gets its cluster on first open, and the next open finds what was written', async () => {
    const dir = join(root, 'fresh')
    const first = await openDatabase({ dataDir: dir })
    await first.db.execute(sql`CREATE TABLE kept (note text)`)
    await first.db.execute(sql`INSERT INTO kept VALUES ('still here')`)
    await first.close()
    const again = await openDatabase({ dataDir: dir })
    try {
      expect(await query(again.db, sql`SELECT note FROM kept`)).toEqual([{ note: 'still here' }])
    } finally {
      await again.close()
    }
  }, 60_000)

  it('[DB1] a directory PGlite cannot set up is refused with an error naming it, and the lock is left free', async () => {
    const dir = join(root, 'broken')
    mkdirSync(dir)
    writeFileSync(join(dir, 'global'), 'a file where initdb needs a directory')
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(`creating the PGlite cluster in ${dir} failed (exit 1): filesystem error`)
    rmSync(join(dir, 'global'))
    const fixed = await openDatabase({ dataDir: dir })
    await fixed.close()
  }, 60_000)
})
