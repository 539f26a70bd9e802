/**
 * `npm start`'s entry point run until it exits on its own (a start that must fail): its
 * exit code and what it wrote. Bounded: a relay that starts instead is killed and the
 * result says so (`code` null).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Exited {
  code: number | null
  stdout: string
  stderr: string
  /** stderr's non-empty lines. */
  lines: string[]
}

export function runToExit(env: Record<string, string>, boundMs = 60_000): Promise<Exited> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/relay/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', JWT_SECRET: 'run-to-exit-secret', PROJECTOR: '0', DEMO: '0', LOG_LEVEL: 'warn', WEB_DIST: '', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), boundMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, lines: stderr.split('\n').filter((l) => l.trim() !== '') })
    })
  })
}
