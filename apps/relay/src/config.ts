/**
 * The relay's configuration, parsed once from the environment into a frozen object.
 * Only main.ts and the CLIs call `loadConfig`; everything else receives values.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const DEFAULT_PORT = 8787
export const DEFAULT_DATA_DIR = './data'
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
/** Bytes a connection may leave unread before the relay closes it (it resyncs on reconnect). */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024
export const DEFAULT_IDLE_UNLOAD_MS = 30_000
/** Per token: sustained messages per second, and the burst allowed above it. */
export const DEFAULT_RATE_PER_SECOND = 500
export const DEFAULT_RATE_BURST = 5_000
export const DEFAULT_GROUP_COMMIT_MAX = 512
/** Documents one connection may follow at once (a busy terminal holds hundreds). */
export const DEFAULT_MAX_DOCS_PER_SOCKET = 5_000
/** Largest awareness update (presence: a name, a cursor; never more than a few KiB honestly). */
export const DEFAULT_MAX_AWARENESS_BYTES = 16 * 1024
/** Awareness bytes one connection may send per second, and the burst above it: what a bystander can be sent. */
export const DEFAULT_AWARENESS_BYTES_PER_SECOND = 32 * 1024
export const DEFAULT_AWARENESS_BURST_BYTES = 128 * 1024
/** Awareness client ids one connection may introduce per document (a client has one per document). */
export const DEFAULT_AWARENESS_CLIENTS_PER_CONNECTION = 4
export const DEFAULT_COMPACT_AFTER = 200
export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 24 * 3600
export const DEFAULT_REPORT_TIME_ZONE = 'UTC'

/**
 * An IANA time zone name the runtime knows: 'UTC' or Area/Location ('Europe/Madrid').
 * Bare offsets ('+01:00') and short names ('CET', 'IST') are refused: Postgres reads an
 * offset with the POSIX sign and a short name as a fixed-offset abbreviation, so the
 * database and the browser would disagree about them.
 */
export function isTimeZone(name: string): boolean {
  if (name.length > 64 || (name.toUpperCase() !== 'UTC' && !/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)+$/.test(name))) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export interface RelayConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly databaseSchema: string
  readonly jwtSecret: string
  readonly maxMessageBytes: number
  readonly maxBufferedBytes: number
  readonly idleUnloadMs: number
  readonly ratePerSecond: number
  readonly rateBurst: number
  readonly groupCommitMax: number
  readonly maxDocsPerSocket: number
  readonly maxAwarenessBytes: number
  readonly awarenessBytesPerSecond: number
  readonly awarenessBurstBytes: number
  readonly awarenessClientsPerConnection: number
  /** Write a snapshot once a loaded document has this many log rows after its last one. */
  readonly compactAfter: number
  /** Run the projection worker inside the relay process. */
  readonly projector: boolean
  readonly webDist: string | undefined
  readonly logLevel: string
  readonly demo: boolean
  /** The zone reports bucket days and hours in when a request names none (IANA name). */
  readonly reportTimeZone: string
}

export const defaultConfig = (jwtSecret: string): RelayConfig =>
  Object.freeze({
    port: DEFAULT_PORT,
    host: '127.0.0.1',
    dataDir: DEFAULT_DATA_DIR,
    databaseUrl: undefined,
    databaseSchema: 'public',
    jwtSecret,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
    idleUnloadMs: DEFAULT_IDLE_UNLOAD_MS,
    ratePerSecond: DEFAULT_RATE_PER_SECOND,
    rateBurst: DEFAULT_RATE_BURST,
    groupCommitMax: DEFAULT_GROUP_COMMIT_MAX,
    maxDocsPerSocket: DEFAULT_MAX_DOCS_PER_SOCKET,
    maxAwarenessBytes: DEFAULT_MAX_AWARENESS_BYTES,
    awarenessBytesPerSecond: DEFAULT_AWARENESS_BYTES_PER_SECOND,
    awarenessBurstBytes: DEFAULT_AWARENESS_BURST_BYTES,
    awarenessClientsPerConnection: DEFAULT_AWARENESS_CLIENTS_PER_CONNECTION,
    compactAfter: DEFAULT_COMPACT_AFTER,
    projector: true,
    webDist: undefined,
    logLevel: 'info',
    demo: true,
    reportTimeZone: DEFAULT_REPORT_TIME_ZONE,
  })

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`)
  return n
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase())
}

function timeZone(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!isTimeZone(raw)) throw new Error(`${name} must be an IANA time zone name such as Europe/Madrid, got "${raw}"`)
  return raw
}

/**
 * The JWT secret: JWT_SECRET, or one generated on first start and kept in the data
 * directory so tokens survive restarts.
 */
function jwtSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.JWT_SECRET) return env.JWT_SECRET
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  return secret
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const dataDir = resolve(env.DATA_DIR || DEFAULT_DATA_DIR)
  return Object.freeze({
    ...defaultConfig(jwtSecret(env, dataDir)),
    port: int(env, 'PORT', DEFAULT_PORT),
    host: env.HOST || '127.0.0.1',
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || 'public',
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES),
    maxBufferedBytes: int(env, 'MAX_BUFFERED_BYTES', DEFAULT_MAX_BUFFERED_BYTES),
    idleUnloadMs: int(env, 'IDLE_UNLOAD_MS', DEFAULT_IDLE_UNLOAD_MS),
    ratePerSecond: int(env, 'RATE_PER_SECOND', DEFAULT_RATE_PER_SECOND),
    rateBurst: int(env, 'RATE_BURST', DEFAULT_RATE_BURST),
    groupCommitMax: int(env, 'GROUP_COMMIT_MAX', DEFAULT_GROUP_COMMIT_MAX),
    maxDocsPerSocket: int(env, 'MAX_DOCS_PER_SOCKET', DEFAULT_MAX_DOCS_PER_SOCKET),
    maxAwarenessBytes: int(env, 'MAX_AWARENESS_BYTES', DEFAULT_MAX_AWARENESS_BYTES),
    awarenessBytesPerSecond: int(env, 'AWARENESS_BYTES_PER_SECOND', DEFAULT_AWARENESS_BYTES_PER_SECOND),
    awarenessBurstBytes: int(env, 'AWARENESS_BURST_BYTES', DEFAULT_AWARENESS_BURST_BYTES),
    awarenessClientsPerConnection: int(env, 'AWARENESS_CLIENTS_PER_CONNECTION', DEFAULT_AWARENESS_CLIENTS_PER_CONNECTION),
    compactAfter: int(env, 'COMPACT_AFTER', DEFAULT_COMPACT_AFTER),
    projector: bool(env, 'PROJECTOR', true),
    webDist: env.WEB_DIST || resolve(new URL('../../web/dist', import.meta.url).pathname),
    logLevel: env.LOG_LEVEL || 'info',
    demo: bool(env, 'DEMO', true),
    reportTimeZone: timeZone(env, 'REPORT_TIME_ZONE', DEFAULT_REPORT_TIME_ZONE),
  })
}
