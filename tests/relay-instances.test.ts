/**
 * Several relays on one real Postgres share one JWT secret (RLY42): a relay that would
 * start with another secret than a live relay on the database refuses to start, saying to
 * set the same JWT_SECRET everywhere; relays with the same one start side by side; a dead
 * relay stops counting after three of its beats. PGlite is one process by construction
 * (its directory is locked), so this suite runs on the real server only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { dropSchema } from '@tally/schema/db'
import { runToExit } from './helpers/run-to-exit.ts'
import { spawnRelay, type SpawnedRelay } from './helpers/spawn-relay.ts'

const URL = process.env.TEST_DATABASE_URL

describe.runIf(URL)('several relays on one Postgres', () => {
  const url = URL as string
  const root = mkdtempSync(join(tmpdir(), 'tally-instances-'))
  const schemas: string[] = []
  const running: SpawnedRelay[] = []
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  let n = 0
  const schema = () => {
    const s = `t_inst_${process.pid}_${Date.now().toString(36)}_${n++}`
    schemas.push(s)
    return s
  }
  const dir = () => join(root, `d${n++}`)
  async function start(env: Record<string, string>): Promise<SpawnedRelay> {
    const r = await spawnRelay({ DATABASE_URL: url, ...env })
    running.push(r)
    return r
  }
  const rows = (s: string) =>
    admin.unsafe<Array<{ id: string; secret_fingerprint: string; secret_source: string; pid: number; age_ms: number }>>(
      `SELECT id, secret_fingerprint, secret_source, pid, extract(epoch FROM now() - last_seen) * 1000 AS age_ms FROM ${s}.relay_instances ORDER BY started_at`,
    )
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.kill('SIGKILL')))
  })
  afterAll(async () => {
    await admin.end()
    for (const s of schemas) await dropSchema(url, s)
    rmSync(root, { recursive: true, force: true })
  })

  it('[RLY42] a relay with a per-directory generated secret refuses to start beside a live relay with another; one line, exit 1', async () => {
    const s = schema()
    const first = await start({ DATABASE_SCHEMA: s, JWT_SECRET: '', DATA_DIR: dir() })
    const r = await runToExit({ DATABASE_URL: url, DATABASE_SCHEMA: s, JWT_SECRET: '', DATA_DIR: dir() })
    expect(r.code, r.stderr).toBe(1)
    expect(r.lines, r.stderr).toHaveLength(1)
    expect(r.lines[0]).toMatch(/^Tally cannot start: this relay would use the JWT secret generated in its DATA_DIR\/jwt-secret/)
    expect(r.lines[0]).toMatch(new RegExp(`relay pid ${first.child.pid} .*set the same JWT_SECRET on every relay`))
    // The refused relay left no row; the live one is still registered and still serves.
    const live = await rows(s)
    expect(live.map((x) => x.pid)).toEqual([first.child.pid])
    expect((await fetch(`${first.httpUrl}/readyz`)).status).toBe(200)
  }, 120_000)

  it('[RLY42] relays with the same JWT_SECRET start side by side; the table holds a fingerprint, never the secret', async () => {
    const s = schema()
    const secret = 'one-secret-for-every-relay-0123456789'
    const a = await start({ DATABASE_SCHEMA: s, JWT_SECRET: secret, DATA_DIR: dir() })
    const b = await start({ DATABASE_SCHEMA: s, JWT_SECRET: secret, DATA_DIR: dir() })
    const live = await rows(s)
    expect(live.map((x) => x.pid).sort()).toEqual([a.child.pid, b.child.pid].sort())
    expect(new Set(live.map((x) => x.secret_fingerprint)).size).toBe(1)
    expect(live.every((x) => x.secret_source === 'env')).toBe(true)
    const dump = JSON.stringify(await admin.unsafe(`SELECT * FROM ${s}.relay_instances`))
    expect(dump).not.toContain(secret)
    // An explicit JWT_SECRET that differs is refused too (the tokens would not cross either).
    const r = await runToExit({ DATABASE_URL: url, DATABASE_SCHEMA: s, JWT_SECRET: 'another-secret', DATA_DIR: dir() })
    expect(r.code, r.stderr).toBe(1)
    expect(r.lines[0]).toMatch(/this relay's JWT_SECRET, but relay pid \d+ .*and 1 more.*set the same JWT_SECRET on every relay/)
  }, 120_000)

  it('[RLY42] a generated secret copied as JWT_SECRET joins; a clean stop frees the slot at once', async () => {
    const s = schema()
    const d = dir()
    const a = await start({ DATABASE_SCHEMA: s, JWT_SECRET: '', DATA_DIR: d })
    const generated = readFileSync(join(d, 'jwt-secret'), 'utf8').trim()
    const b = await start({ DATABASE_SCHEMA: s, JWT_SECRET: generated, DATA_DIR: dir() })
    expect((await rows(s)).length).toBe(2)
    await a.kill('SIGTERM')
    await b.kill('SIGTERM')
    expect(await rows(s)).toEqual([])
    const c = await start({ DATABASE_SCHEMA: s, JWT_SECRET: 'a-new-secret-after-stopping-all', DATA_DIR: dir() })
    expect((await rows(s)).map((x) => x.pid)).toEqual([c.child.pid])
  }, 120_000)

  it('[RLY42] a relay killed with -9 keeps others out while its row is fresh, and stops counting three of its beats after it was last seen', async () => {
    const s = schema()
    // Long enough that the refused start below surely runs inside the window (a spawn takes seconds here).
    const beat = 4_000
    const staleAfter = 3 * beat
    const a = await start({ DATABASE_SCHEMA: s, JWT_SECRET: 'secret-of-a-relay-that-dies', DATA_DIR: dir(), INSTANCE_BEAT_MS: String(beat) })
    const refreshed = async () => (await admin.unsafe(`SELECT count(*)::int AS n FROM ${s}.relay_instances WHERE last_seen > started_at`))[0]?.n === 1
    // Its row is refreshed while it lives.
    const deadline = Date.now() + 3 * beat
    while (Date.now() < deadline && !(await refreshed())) await new Promise((r) => setTimeout(r, 100))
    expect(await refreshed()).toBe(true)
    await a.kill('SIGKILL')
    const early = await runToExit({ DATABASE_URL: url, DATABASE_SCHEMA: s, JWT_SECRET: 'someone-else', DATA_DIR: dir() })
    expect(early.code, early.stderr).toBe(1)
    expect(early.lines[0]).toMatch(/set the same JWT_SECRET on every relay.*forgotten 12 s after it was last seen/)
    // Once the row is three of its beats old, the same start succeeds.
    const until = Date.now() + staleAfter + 10_000
    while (Date.now() < until && Number((await rows(s))[0]?.age_ms) <= staleAfter) await new Promise((r) => setTimeout(r, 100))
    const b = await start({ DATABASE_SCHEMA: s, JWT_SECRET: 'someone-else', DATA_DIR: dir() })
    expect((await fetch(`${b.httpUrl}/readyz`)).status).toBe(200)
  }, 120_000)
})
