/**
 * The relay as a real child process (`npm start`'s entry point), so tests can kill it
 * with SIGKILL and start it again on the same data.
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
  kill(signal: NodeJS.Signals): Promise<void>
}

export function spawnRelay(env: Record<string, string>): Promise<SpawnedRelay> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/relay/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', JWT_SECRET: SPAWN_SECRET, PROJECTOR: '0', DEMO: '0', LOG_LEVEL: 'warn', WEB_DIST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /Relay:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) {
        const port = Number(m[1])
        resolve({
          port,
          wsUrl: `ws://127.0.0.1:${port}`,
          httpUrl: `http://127.0.0.1:${port}`,
          child,
          async kill(signal) {
            child.kill(signal)
            await exited
          },
        })
      }
    })
    child.once('exit', (code) => reject(new Error(`relay exited early (${code}): ${err}`)))
  })
}
