/**
 * The test side of relay-host.ts: starts the relay process on one backend, asks it
 * questions over IPC, and knows when it has exited (with what it printed).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Role } from '@tally/schema'
import { dropSchema } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import type { AuditRow, HostReply, HostRequest, LogRow } from './host-protocol.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const HOST = fileURLToPath(new URL('./relay-host.ts', import.meta.url))

export interface RelayHost {
  readonly backend: 'pglite' | 'postgres'
  readonly port: number
  readonly httpUrl: string
  readonly wsUrl: string
  readonly secret: string
  token(opts?: { role?: Role; store?: string; sub?: string; ttlSeconds?: number }): Promise<string>
  /** Null while the process runs; how it ended (and its last stderr) once it has exited. */
  exitInfo(): string | null
  /** The tail of what the relay process wrote to stderr (the projection logs its failures there). */
  stderr(): string
  /** Null when GET /healthz answers 200 with ok: true; otherwise what went wrong. */
  health(): Promise<string | null>
  log(doc: string): Promise<Array<Omit<LogRow, 'bytes'> & { bytes: Uint8Array }>>
  /** The relay's in-memory document (loaded on demand): only committed updates. */
  relayDoc(doc: string): Promise<Uint8Array | null>
  audit(afterId: number): Promise<AuditRow[]>
  /** The highest audit id now (after flushing the relay's audit buffer). */
  auditMax(): Promise<number>
  tickets(ids: readonly string[]): Promise<Array<{ id: string; store: string; status: string }>>
  progress(): Promise<{ checkpoint: number; head: number }>
  close(): Promise<void>
}

export async function startRelayHost(backend: 'pglite' | 'postgres'): Promise<RelayHost> {
  const child: ChildProcess = fork(HOST, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, FUZZ_BACKEND: backend, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
  })
  child.stdout?.on('data', () => {})
  let exited: string | null = null
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  child.on('exit', (code, signal) => {
    exited = `relay process exited (code ${code}, signal ${signal}); stderr tail:\n${stderr.slice(-3000)}`
    for (const p of pending.values()) p.reject(new Error(exited))
    pending.clear()
  })
  let nextId = 1
  const ready = new Promise<{ port: number; secret: string; schema: string }>((resolve, reject) => {
    pending.set(0, { resolve: resolve as (v: unknown) => void, reject })
  })
  child.on('message', (m: HostReply) => {
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.ok) p.resolve(m.value)
    else p.reject(new Error(`relay host: ${m.error}`))
  })
  const ask = <T>(req: HostRequest): Promise<T> => {
    if (exited) return Promise.reject(new Error(exited))
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      // A dying process has closed its channel before its exit event: fail the question, do not throw.
      if (!child.connected) {
        pending.delete(id)
        return reject(new Error(`relay process is going away; stderr tail:\n${stderr.slice(-3000)}`))
      }
      child.send({ ...req, id }, (err) => {
        if (!err) return
        pending.delete(id)
        reject(new Error(`relay process is going away (${err.message}); stderr tail:\n${stderr.slice(-3000)}`))
      })
    })
  }
  const { port, secret, schema } = await ready
  const httpUrl = `http://127.0.0.1:${port}`
  return {
    backend,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    secret,
    token: (t = {}) =>
      signToken(secret, { role: t.role ?? 'terminal', store: t.store ?? 'store1', sub: t.sub ?? 'mallory', ...(t.ttlSeconds !== undefined ? { ttlSeconds: t.ttlSeconds } : {}) }),
    exitInfo: () => exited,
    stderr: () => stderr,
    async health() {
      if (exited) return exited
      try {
        const r = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) })
        const body = (await r.json()) as { ok?: boolean }
        return r.status === 200 && body.ok === true ? null : `/healthz answered ${r.status} ${JSON.stringify(body)}`
      } catch (err) {
        return `/healthz did not answer: ${(err as Error).message}${exited ? `; ${exited}` : ''}`
      }
    },
    async log(doc) {
      const rows = await ask<LogRow[]>({ op: 'log', doc })
      return rows.map((r) => ({ ...r, bytes: new Uint8Array(Buffer.from(r.bytes, 'base64')) }))
    },
    async relayDoc(doc) {
      const b = await ask<string | null>({ op: 'relayDoc', doc })
      return b === null ? null : new Uint8Array(Buffer.from(b, 'base64'))
    },
    audit: (afterId) => ask<AuditRow[]>({ op: 'audit', afterId }),
    auditMax: () => ask<number>({ op: 'auditMax' }),
    tickets: (ids) => ask({ op: 'tickets', ids: [...ids] }),
    progress: () => ask({ op: 'progress' }),
    async close() {
      // A crashed host could not drop its Postgres schema; do it for it.
      if (exited) {
        const url = process.env.TEST_DATABASE_URL
        if (backend === 'postgres' && url) await dropSchema(url, schema).catch(() => {})
        return
      }
      const gone = new Promise<void>((r) => child.once('exit', () => r()))
      await ask({ op: 'close' }).catch(() => {})
      // A host that cannot answer any more is told to go.
      if (!child.connected && child.exitCode === null) child.kill('SIGKILL')
      await gone
    },
  }
}
