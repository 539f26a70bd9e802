/**
 * A nats-server process of the test's own, on a port of its own, that the test may kill
 * and start again on the same port (the system server on 4222 is shared and stays up).
 * Ready means the port answers NATS's INFO greeting, not a fixed wait.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect } from 'node:net'

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server'
/** Why NATS tests skip, or null when they can run. */
export const natsSkipReason: string | null = process.env.TEST_NATS_URL ? null : 'TEST_NATS_URL is not set (.ci/run starts nats-server and sets it)'
export const haveNatsServer = existsSync(NATS_SERVER_BIN)

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** Resolves once a NATS server on the port sends its INFO line; rejects after `timeoutMs`. */
export async function waitForNats(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1')
      let done = false
      const finish = (v: boolean) => {
        if (done) return
        done = true
        sock.destroy()
        resolve(v)
      }
      sock.once('data', (d) => finish(d.toString().startsWith('INFO')))
      sock.once('error', () => finish(false))
      sock.once('close', () => finish(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not answer within ${timeoutMs} ms`)
    // Retry on the next connection attempt; the server is still starting.
    await new Promise<void>((r) => setImmediate(r))
  }
}

export interface OwnNatsServer {
  readonly port: number
  readonly url: string
  /** Kill -9 and wait until the process is gone. */
  kill(): Promise<void>
  /** Start again on the same port and wait until it answers. */
  start(): Promise<void>
  stop(): Promise<void>
}

export async function startNatsServer(port?: number): Promise<OwnNatsServer> {
  const p = port ?? (await freePort())
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()
  const launch = async () => {
    const c = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(p)], { stdio: 'ignore' })
    child = c
    exited = new Promise((r) => c.once('exit', () => r()))
    await waitForNats(p)
  }
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    child = null
  }
  await launch()
  return { port: p, url: `nats://127.0.0.1:${p}`, kill, start: launch, stop: kill }
}
