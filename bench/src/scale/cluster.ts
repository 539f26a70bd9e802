/**
 * Tally relays for the scale bench: several `apps/relay/src/main.ts` processes on one
 * Postgres schema, with or without NATS, each on its own port; stock y-websocket
 * providers on their `/sync`; and the relays' own counters from `/metrics`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { readCpuMs } from '../proc.ts'
import { freePort, REPO_ROOT } from '../servers/spawn.ts'
import { BENCH_JWT_SECRET } from '../tally-token.ts'

export interface ScaleRelay {
  readonly port: number
  readonly pid: number
  cpuMs(): number
  metric(name: string, labels?: Record<string, string>): Promise<number>
  stop(): Promise<void>
}

export interface ClusterOptions {
  readonly tallyRoot: string | undefined
  readonly postgresUrl: string
  readonly schema: string
  readonly natsUrl: string | undefined
  readonly logDir: string
}

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL')
})

export async function startScaleRelay(o: ClusterOptions, n: number): Promise<ScaleRelay> {
  const port = await freePort()
  const root = o.tallyRoot ?? REPO_ROOT
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/relay/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      DATA_DIR: join(o.logDir, `relay-${n}`),
      JWT_SECRET: BENCH_JWT_SECRET,
      PROJECTOR: '0',
      DEMO: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: o.postgresUrl,
      DATABASE_SCHEMA: o.schema,
      ...(o.natsUrl ? { NATS_URL: o.natsUrl } : { NATS_URL: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  const log = createWriteStream(join(o.logDir, `relay-${n}-${port}.log`))
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.once('exit', () => live.delete(child))
  const deadline = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay ${n} exited (${child.exitCode}); log in ${o.logDir}`)
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error(`relay ${n} not ready in 120 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const pid = child.pid as number
  return {
    port,
    pid,
    cpuMs: () => readCpuMs(pid),
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      let sum = 0
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
        if (!m || m[1] !== name) continue
        if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue
        sum += Number(m[3])
      }
      return sum
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await sql.end({ timeout: 2 })
  }
}

export interface Client {
  readonly doc: Y.Doc
  readonly provider: WebsocketProvider
  readonly synced: Promise<void>
  destroy(): void
}

/** A stock provider on Tally's `/sync` (with a token), or on the reference server's root (`token` null). */
export function client(port: number, name: string, token: string | null): Client {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(token === null ? `ws://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/sync`, name, doc, {
    WebSocketPolyfill: WebSocket as never,
    params: token === null ? {} : { token },
    disableBc: true,
    maxBackoffTime: 1_000,
  })
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve()
    else provider.once('sync', (s: boolean) => s && resolve())
  })
  return {
    doc,
    provider,
    synced,
    destroy: () => {
      provider.destroy()
      doc.destroy()
    },
  }
}

/** Resolves when `cond` holds, checked on every update of `doc` (and once now). */
export function whenDoc(doc: Y.Doc, cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve()
    const timer = setTimeout(() => {
      doc.off('update', check)
      reject(new Error(`timed out after ${timeoutMs} ms: ${what}`))
    }, timeoutMs)
    const check = () => {
      if (!cond()) return
      clearTimeout(timer)
      doc.off('update', check)
      resolve()
    }
    doc.on('update', check)
  })
}
