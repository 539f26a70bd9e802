/**
 * `npm start` builds the web app beside the folder the relay serves and swaps it in, so
 * two starts at once (or a start killed mid-build) never leave `/sw.js` or the shell
 * missing for a terminal loading the app. Real builds (Vite), a real relay serving
 * apps/web/dist over HTTP, and a poller fetching the shell and the service worker for as
 * long as the builds run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { BUILDS, buildWeb, inputsHash, ROOT, WEB_DIST } from '../apps/web/scripts/build.ts'

const SCRIPT = join(ROOT, 'apps/web/scripts/build.ts')
const salts: string[] = []
const newSalt = (): string => {
  const s = `test-${process.pid}-${salts.length}`
  salts.push(s)
  return s
}

function startBuild(salt: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, WEB_BUILD_SALT: salt },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a kill reaches Vite too, as a kill of `npm start` does.
    detached: true,
  })
  let out = ''
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()))
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })))
  return { child, done }
}

/** Fetch what a terminal loading the app fetches, again and again, until stopped. */
function pollServed(base: string): { stop: () => Promise<{ polls: number; failures: string[] }> } {
  let running = true
  let polls = 0
  const failures: string[] = []
  const loop = (async () => {
    while (running) {
      for (const path of ['/sw.js', '/pos', '/manifest.webmanifest']) {
        const r = await fetch(base + path)
        const body = await r.text()
        polls++
        if (r.status !== 200 || body.length === 0) failures.push(`${path}: ${r.status} (${body.length} bytes)`)
      }
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { polls, failures }
    },
  }
}

describe('web build swapped in beside what is served', () => {
  let database: TestDatabase
  let relay: TestRelay
  beforeAll(async () => {
    await buildWeb()
    database = await testBackends()[0]!.open()
    relay = await startTestRelay({ database, webDist: WEB_DIST })
  })
  afterAll(async () => {
    await relay?.close()
    await database?.cleanup()
    // Point dist back at the build of the real inputs, then remove the tests' own builds.
    await buildWeb()
    for (const s of salts) rmSync(join(BUILDS, inputsHash(s)), { recursive: true, force: true })
  })

  it('[APP1] two starts building at once leave /sw.js and the shell served at every moment, and build once', async () => {
    const salt = newSalt()
    const poller = pollServed(relay.httpUrl)
    const [a, b] = await Promise.all([startBuild(salt).done, startBuild(salt).done])
    const { polls, failures } = await poller.stop()
    expect(a.code, a.out).toBe(0)
    expect(b.code, b.out).toBe(0)
    expect(failures).toEqual([])
    expect(polls).toBeGreaterThan(3)
    // One of them built; the other waited on the lock and reused the finished build.
    expect([a.out, b.out].filter((o) => o.includes('web app built')).length).toBe(1)
    expect(readlinkSync(WEB_DIST)).toBe(`builds/${inputsHash(salt)}`)
    expect(existsSync(join(WEB_DIST, 'sw.js'))).toBe(true)
  })

  it('[APP2] a start killed in the middle of its build leaves the previous build served; the next start cleans up and swaps', async () => {
    const before = readlinkSync(WEB_DIST)
    const salt = newSalt()
    const hash = inputsHash(salt)
    const poller = pollServed(relay.httpUrl)
    const { child, done } = startBuild(salt)
    // Kill it once Vite is writing into its temporary folder.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 60_000
      const check = (): void => {
        if (readdirSync(BUILDS).some((n) => n.startsWith(`${hash}.tmp-`))) return resolve()
        if (Date.now() > deadline) return reject(new Error('the build never started writing'))
        setTimeout(check, 20)
      }
      check()
    })
    process.kill(-child.pid!, 'SIGKILL')
    await done
    expect(readlinkSync(WEB_DIST)).toBe(before)
    expect(existsSync(join(BUILDS, hash))).toBe(false)

    const again = await startBuild(salt).done
    const { failures } = await poller.stop()
    expect(again.code, again.out).toBe(0)
    expect(failures).toEqual([])
    expect(readlinkSync(WEB_DIST)).toBe(`builds/${hash}`)
    expect(readdirSync(BUILDS).filter((n) => n.startsWith(`${hash}.tmp-`))).toEqual([])
  })
})
