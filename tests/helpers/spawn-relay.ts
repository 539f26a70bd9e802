/**
 * The relay as a real child process (`npm start`'s entry point), so tests can kill it
 * with SIGKILL and start it again on the same data (and, with PORT, the same port).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const SPAWN_SECRET = 'spawned-relay-test-secret'

export interface SpawnedRelay {
  readonly port: number
  readonly wsUrl: string
  readonly httpUrl: string
  readonly child: ChildProcess
  /** What the relay printed on stdout so far (its banner). */
  stdout(): string
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  readonly exited: Promise<number | null>
  /** What the relay wrote to stderr so far (its warnings and errors), for failure messages. */
  stderr(): string
  /** Send the signal and wait until the process is gone (at once if it already is). */
  kill(signal: NodeJS.Signals): Promise<void>
}

/**
 * Starts the relay with the test secret, PORT=0, no projection worker, no demo store and
 * warn-level logs unless `env` says otherwise (PORT, PROJECTOR=1, WEB_DIST, DATA_DIR or
 * DATABASE_URL + DATABASE_SCHEMA...). Resolves once it listens and printed its banner.
 */
export function spawnRelay(env: Record<string, string>): Promise<SpawnedRelay> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/relay/src/main.ts'], {
    cwd: ROOT,
    // Plain HTTP unless the test asks for TLS (TLS=local, TLS_CERT): a hub (UPSTREAM_URL)
    // would otherwise default to its own CA, which tests of other things do not trust.
    env: { ...process.env, PORT: '0', JWT_SECRET: SPAWN_SECRET, PROJECTOR: '0', DEMO: '0', LOG_LEVEL: 'warn', WEB_DIST: '', ...(env.TLS_CERT || env.TLS_KEY ? {} : { TLS: 'off' }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let gone = false
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone = true
      resolve(code)
    }),
  )
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      // https when the relay serves TLS (TLS=local, TLS_CERT); the banner is complete at its blank last line.
      const m = /Relay:\s+(https?):\/\/127\.0\.0\.1:(\d+)[\s\S]*\n\n/.exec(out)
      if (m) {
        const port = Number(m[2])
        const secure = m[1] === 'https'
        resolve({
          port,
          wsUrl: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`,
          httpUrl: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
          child,
          stdout: () => out,
          exited,
          stderr: () => err,
          async kill(signal) {
            if (!gone) child.kill(signal)
            await exited
          },
        })
      }
    })
    child.once('exit', (code, signal) => reject(new Error(`relay exited early (${code ?? signal}): ${err}`)))
  })
}
