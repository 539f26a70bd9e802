/**
 * A relay told to use NATS that cannot: one line naming NATS_URL, exit 1, nothing created
 * in DATA_DIR (NATS is checked before the database is opened or migrated).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from './helpers/nats-server.ts'
import { runToExit } from './helpers/run-to-exit.ts'

describe('relay startup with NATS_URL', () => {
  const root = mkdtempSync(join(tmpdir(), 'tally-nats-start-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('[BUS13] NATS_URL that is not a nats:// URL: one line naming NATS_URL, exit 1, before anything touches the disk', async () => {
    const dir = join(root, 'a')
    const r = await runToExit({ DATA_DIR: dir, NATS_URL: 'http://127.0.0.1:4222' })
    expect(r.code, r.stderr).toBe(1)
    expect(r.lines).toEqual([expect.stringMatching(/^Tally cannot start: NATS_URL must be a URL like nats:\/\/127\.0\.0\.1:4222/)])
    expect(existsSync(join(dir, 'pg'))).toBe(false)
  })

  it('[BUS13] NATS_URL where no server answers: one line naming NATS_URL and the cause, password hidden, no database made', async () => {
    const dir = join(root, 'b')
    const port = await freePort()
    const r = await runToExit({ DATA_DIR: dir, NATS_URL: `nats://tally:hunter2@127.0.0.1:${port}` })
    expect(r.code, r.stderr).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(new RegExp(`^Tally cannot start: NATS at nats://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(NATS_URL\\) is not reachable: .+; start nats-server or fix NATS_URL$`))
    expect(r.stderr).not.toContain('hunter2')
    expect(existsSync(join(dir, 'pg'))).toBe(false)
  })
})
