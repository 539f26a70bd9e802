/**
 * Starts each server under test as its own child process on a free loopback port, and
 * keeps a registry so every child is killed when the bench exits, even on error.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readCpuMs, readMem, type MemSample } from '../proc.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export const ServerKind = { tally: 'tally', ref: 'ref', hocuspocus: 'hocuspocus' } as const
export type ServerKind = (typeof ServerKind)[keyof typeof ServerKind]

export interface ServerSpec {
  /** Stable id used in results, e.g. `tally-pglite`, `ref`, `hocuspocus-file`. */
  readonly id: string
  readonly kind: ServerKind
  readonly label: string
  /** Keeps documents across a restart (Tally always; peers only in their persistent mode). */
  readonly persist: boolean
  /** Tally only: a real Postgres instead of PGlite. */
  readonly databaseUrl?: string | undefined
}

export interface RunningServer {
  readonly spec: ServerSpec
  readonly pid: number
  readonly port: number
  readonly dir: string
  readonly logFile: string
  mem(): MemSample
  cpuMs(): number
  /** SIGKILL, resolved once the process has exited. */
  kill9(): Promise<void>
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' })
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

export interface StartOptions {
  /** Tally only: where its sources are (a committed snapshot, or the working tree). */
  readonly tallyRoot?: string | undefined
  /** Tally only: the JWT secret the bench signs its tokens with. */
  readonly jwtSecret: string
  /** Tally on Postgres: the schema holding its tables (kept across a restart). */
  readonly schema?: string | undefined
  readonly readyTimeoutMs?: number
}

function command(spec: ServerSpec, dir: string, port: number, opts: StartOptions): { args: string[]; env: NodeJS.ProcessEnv } {
  const base = { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' }
  switch (spec.kind) {
    case ServerKind.tally:
      return {
        // `node --import tsx` rather than the tsx CLI: the CLI forks a second process,
        // and a kill -9 of the parent would leave the real server running.
        args: ['--import', 'tsx', join(opts.tallyRoot ?? REPO_ROOT, 'apps/relay/src/main.ts')],
        env: {
          ...base,
          DATA_DIR: join(dir, 'data'),
          JWT_SECRET: opts.jwtSecret,
          // The peers only relay; the projection worker is measured by `bench projection`.
          PROJECTOR: '0',
          DEMO: '0',
          LOG_LEVEL: 'warn',
          ...(spec.databaseUrl ? { DATABASE_URL: spec.databaseUrl, DATABASE_SCHEMA: opts.schema ?? 'public' } : {}),
        },
      }
    case ServerKind.ref:
      return {
        args: [join(REPO_ROOT, 'node_modules/y-websocket-ref/bin/server.cjs')],
        env: { ...base, ...(spec.persist ? { YPERSISTENCE: join(dir, 'leveldb') } : {}) },
      }
    case ServerKind.hocuspocus:
      return {
        args: ['--import', 'tsx', join(REPO_ROOT, 'bench/src/servers/hocuspocus.ts')],
        env: { ...base, ...(spec.persist ? { HOCUSPOCUS_DIR: join(dir, 'hocuspocus') } : {}) },
      }
    default: {
      const never: never = spec.kind
      throw new Error(`unknown server kind ${String(never)}`)
    }
  }
}

export async function startServer(spec: ServerSpec, dir: string, opts: StartOptions): Promise<RunningServer> {
  const port = await freePort()
  const { args: baseArgs, env } = command(spec, dir, port, opts)
  // BENCH_CPU_PROF=<dir> profiles the servers (V8 .cpuprofile, written on a clean stop).
  const prof = process.env.BENCH_CPU_PROF
  const args = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, ...baseArgs] : baseArgs
  const logFile = join(dir, `${spec.id}-${port}.log`)
  const log = createWriteStream(logFile)
  const cwd = spec.kind === ServerKind.tally ? (opts.tallyRoot ?? REPO_ROOT) : REPO_ROOT
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => live.delete(child))

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000)
  let ready = false
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break
    if (await canConnect(port)) {
      ready = true
      break
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  if (!ready) {
    const why = child.exitCode ?? child.signalCode ?? 'timeout'
    child.kill('SIGKILL')
    await exited
    let tail = ''
    try {
      tail = readFileSync(logFile, 'utf8').slice(-2000)
    } catch {
      // no log
    }
    throw new Error(
      `${spec.label} did not start on port ${port} (exit ${why}); log ${logFile}:\n${tail}`,
    )
  }
  const pid = child.pid as number
  return {
    spec,
    pid,
    port,
    dir,
    logFile,
    mem: () => readMem(pid),
    cpuMs: () => readCpuMs(pid),
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), prof ? 30_000 : 3_000)
      await exited
      clearTimeout(timer)
    },
  }
}
