/**
 * A relay that cannot start says why in one line on stderr, naming the variable to fix,
 * and exits 1 (RLY40); the port is bound before the database is opened, so a port in use
 * fails without touching it (RLY41). Each case runs `npm start`'s real entry point.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runToExit, type Exited } from './helpers/run-to-exit.ts'

const root = mkdtempSync(join(tmpdir(), 'tally-startup-'))
let dirs = 0
const freshDir = () => join(root, `d${dirs++}`)

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

function expectOneLine(r: Exited, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1)
  expect(r.lines, r.stderr).toHaveLength(1)
  expect(r.lines[0]).toMatch(/^Tally cannot start: /)
  expect(r.lines[0]).toMatch(pattern)
  // No stack: no "at file:line" frames, no raw error class names.
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError|ECONNREFUSED/)
}

describe('startup errors', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('[RLY40] DATABASE_URL at a closed port: one line naming the address and DATABASE_URL, exit 1', async () => {
    const port = await closedPort()
    const r = await runToExit({ DATA_DIR: freshDir(), DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${port}/tally` })
    expectOneLine(r, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection.*DATABASE_URL`))
    expect(r.stderr).not.toContain('s3cret')
  }, 90_000)

  it('[RLY40] DATABASE_URL=notaurl: one line saying what a DATABASE_URL looks like, no TypeError', async () => {
    const r = await runToExit({ DATA_DIR: freshDir(), DATABASE_URL: 'notaurl' })
    expectOneLine(r, /DATABASE_URL must be a URL like postgres:\/\/.*got "notaurl"/)
  }, 90_000)

  it.runIf(process.env.TEST_DATABASE_URL)('[RLY40] DATABASE_URL naming a database that does not exist: one line naming it and DATABASE_URL', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string)
    url.pathname = '/tally_no_such_database'
    const r = await runToExit({ DATA_DIR: freshDir(), DATABASE_URL: url.toString() })
    expectOneLine(r, /database "tally_no_such_database" does not exist.*DATABASE_URL/)
  }, 90_000)

  it.each([
    ['PORT', 'eighty', /PORT must be a whole number from 0 to 65535, got "eighty"/],
    ['PORT', '70000', /PORT must be a whole number from 0 to 65535, got "70000"/],
    ['HEARTBEAT_MS', '-5', /HEARTBEAT_MS must be a whole number 0 or more, got "-5"/],
    ['MAX_MESSAGE_BYTES', '1e6', /MAX_MESSAGE_BYTES must be a whole number 0 or more, got "1e6"/],
  ])('[RLY40] a bad number in %s=%s: one line naming the variable and the value', async (name, value, pattern) => {
    const dir = freshDir()
    const r = await runToExit({ DATA_DIR: dir, [name]: value })
    expectOneLine(r, pattern)
    // Refused before anything touched the disk.
    expect(existsSync(dir)).toBe(false)
  }, 90_000)

  it('[RLY40] a DATA_DIR that is a file, or under one: one line naming DATA_DIR, exit 1', async () => {
    const file = join(root, 'a-file')
    writeFileSync(file, 'not a directory')
    // A generated secret (it lives in DATA_DIR), and an explicit one (PGlite still needs DATA_DIR/pg).
    for (const [dir, secret] of [[file, ''], [join(file, 'below'), 'explicit-secret']] as const) {
      const r = await runToExit({ DATA_DIR: dir, JWT_SECRET: secret })
      expectOneLine(r, new RegExp(`DATA_DIR ${dir.replace(/[/.]/g, '\\$&')} is not a directory this user can write.*set DATA_DIR`))
    }
  }, 180_000)

  describe('a port in use', () => {
    let holder: Server
    let port = 0
    afterAll(() => new Promise<void>((r) => holder.close(() => r())))

    it('[RLY41] fails at once naming PORT, before PGlite is created or migrated', async () => {
      holder = createServer()
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r))
      port = (holder.address() as AddressInfo).port
      const dir = freshDir()
      const r = await runToExit({ DATA_DIR: dir, PORT: String(port) })
      expectOneLine(r, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*set PORT`))
      // The database directory was never made: the port was checked first.
      expect(existsSync(join(dir, 'pg'))).toBe(false)
    }, 90_000)

    it('[RLY41] fails naming PORT before DATABASE_URL is even tried (a closed database port is not what it reports)', async () => {
      const dbPort = await closedPort()
      const r = await runToExit({ DATA_DIR: freshDir(), PORT: String(port), DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/tally` })
      expectOneLine(r, /is already in use.*set PORT/)
      expect(r.stderr).not.toMatch(/DATABASE_URL/)
    }, 90_000)
  })
})
