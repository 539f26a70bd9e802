import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openDatabase } from './open.ts'

/** Every entry under `dir` (itself included) whose mode is not 0700 (directory) or 0600 (file). */
function loose(dir: string): string[] {
  const out: string[] = []
  const check = (p: string) => {
    const st = lstatSync(p)
    const mode = st.mode & 0o777
    if (st.isDirectory() ? mode !== 0o700 : st.isFile() && mode !== 0o600) out.push(`${p} ${mode.toString(8)}`)
    if (st.isDirectory()) for (const e of readdirSync(p)) check(join(p, e))
  }
  check(dir)
  return out
}

function loosen(dir: string): void {
  chmodSync(dir, 0o777)
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) loosen(p)
    else chmodSync(p, 0o666)
  }
}

describe('PGlite data directory permissions', () => {
  const root = mkdtempSync(join(tmpdir(), 'tally-perm-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('[DB4] a new data directory, its files and its lock are the owner\'s only (0700 / 0600), also after writes', async () => {
    const dir = join(root, 'fresh', 'pg')
    const db = await openDatabase({ dataDir: dir })
    try {
      expect(lstatSync(`${dir}.lock`).mode & 0o777).toBe(0o600)
      await db.db.execute(sql`INSERT INTO users (id, email, password_hash, role, store) VALUES ('u1', 'a@b.c', 'scrypt$x', 'admin', 's')`)
      await db.db.execute(sql`CREATE TABLE perm_probe AS SELECT generate_series(1, 20000) AS n`)
      await db.db.execute(sql`CHECKPOINT`)
    } finally {
      await db.close()
    }
    expect(loose(dir)).toEqual([])
  }, 120_000)

  it('[DB4] an existing world-readable directory (as older starts left it) is repaired on open', async () => {
    const dir = join(root, 'old', 'pg')
    await (await openDatabase({ dataDir: dir })).close()
    loosen(dir)
    writeFileSync(join(dir, 'stray-note'), 'x', { mode: 0o666 })
    chmodSync(join(dir, 'stray-note'), 0o666)
    expect(loose(dir).length).toBeGreaterThan(900)
    const db = await openDatabase({ dataDir: dir })
    try {
      expect(loose(dir)).toEqual([])
    } finally {
      await db.close()
    }
  }, 120_000)
})
