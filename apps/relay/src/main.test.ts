/**
 * `npm start`'s own entry point (main.ts) in a child process on a real data directory:
 * what the banner prints in demo and production mode, and the directory's permissions.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const MAIN = join(ROOT, 'apps/relay/src/main.ts')

interface Started {
  child: ChildProcess
  banner: string
  base: string
}

/** Start main.ts and wait for its banner (it ends with a blank line after the last entry). */
function start(dataDir: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(TSX, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', PROJECTOR: '0', WEB_DIST: join(dataDir, 'no-web'), LOG_LEVEL: 'silent', DATABASE_URL: '', JWT_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolvePromise, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`no banner in 120 s: ${out} ${err}`)), 120_000)
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /Relay: +(http:\/\/\S+)/.exec(out)
      // The banner is one write; its last line is either the token or the DEMO=0 note.
      if (m && /\n\n$/.test(out) && (/eyJ\S+\n\n$/.test(out) || /Demo data: +off/.test(out))) {
        clearTimeout(timer)
        resolvePromise({ child, banner: out, base: m[1] as string })
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`main.ts exited ${code}: ${out} ${err}`))
    })
  })
}

function stop(s: Started): Promise<void> {
  return new Promise((r) => {
    s.child.removeAllListeners('exit')
    s.child.on('exit', () => r())
    s.child.kill('SIGTERM')
  })
}

async function login(base: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  return res.status
}

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

describe('npm start (main.ts)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tally-main-'))
  const running: Started[] = []
  afterAll(async () => {
    await Promise.all(running.map(stop))
    rmSync(root, { recursive: true, force: true })
  })

  it('[API22][DB4] demo mode prints a generated admin password once, never demo1234; a restart prints none and keeps it; DATA_DIR ends up 0700/0600', async () => {
    const dir = join(root, 'demo')
    // As an older version left it: a world-readable directory and secret.
    mkdirSync(dir, { mode: 0o777 })
    chmodSync(dir, 0o777)
    writeFileSync(join(dir, 'jwt-secret'), 'an-old-secret-from-before\n')
    chmodSync(join(dir, 'jwt-secret'), 0o644)
    const first = await start(dir, { DEMO: '1' })
    running.push(first)
    const m = /Admin login: admin@demo\.local \/ (\S+)/.exec(first.banner)
    expect(m, first.banner).not.toBeNull()
    const password = (m as RegExpExecArray)[1] as string
    expect(password).not.toBe('demo1234')
    expect(password.length).toBeGreaterThanOrEqual(20)
    expect(first.banner).toMatch(/Terminal token[^\n]*\neyJ/)
    expect(await login(first.base, 'admin@demo.local', password)).toBe(200)
    expect(await login(first.base, 'admin@demo.local', 'demo1234')).toBe(401)
    expect(loose(dir)).toEqual([])
    await stop(running.pop() as Started)

    const again = await start(dir, { DEMO: '1' })
    running.push(again)
    expect(again.banner).not.toMatch(/Admin login/)
    expect(again.banner).not.toContain(password)
    expect(await login(again.base, 'admin@demo.local', password)).toBe(200)
    await stop(running.pop() as Started)
  }, 300_000)

  it('[API22] a production start (DEMO=0) creates no user and prints no credential', async () => {
    const dir = join(root, 'prod')
    const s = await start(dir, { DEMO: '0' })
    running.push(s)
    expect(s.banner).not.toMatch(/Admin login|eyJ|password/i)
    expect(await login(s.base, 'admin@demo.local', 'demo1234')).toBe(401)
    expect(loose(dir)).toEqual([])
    await stop(running.pop() as Started)
  }, 300_000)
})
