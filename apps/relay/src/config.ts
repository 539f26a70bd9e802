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
export const DEFAULT_IDLE_UNLOAD_MS = 30_000
/** Per token: sustained messages per second, and the burst allowed above it. */
export const DEFAULT_RATE_PER_SECOND = 500
export const DEFAULT_RATE_BURST = 5_000
export const DEFAULT_GROUP_COMMIT_MAX = 512
export const DEFAULT_COMPACT_AFTER = 200
export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 24 * 3600

export interface RelayConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly databaseSchema: string
  readonly jwtSecret: string
  readonly maxMessageBytes: number
  readonly idleUnloadMs: number
  readonly ratePerSecond: number
  readonly rateBurst: number
  readonly groupCommitMax: number
  /** Write a snapshot once a loaded document has this many log rows after its last one. */
  readonly compactAfter: number
  /** Run the projection worker inside the relay process. */
  readonly projector: boolean
  readonly webDist: string | undefined
  readonly logLevel: string
  readonly demo: boolean
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
    idleUnloadMs: DEFAULT_IDLE_UNLOAD_MS,
    ratePerSecond: DEFAULT_RATE_PER_SECOND,
    rateBurst: DEFAULT_RATE_BURST,
    groupCommitMax: DEFAULT_GROUP_COMMIT_MAX,
    compactAfter: DEFAULT_COMPACT_AFTER,
    projector: true,
    webDist: undefined,
    logLevel: 'info',
    demo: true,
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
    idleUnloadMs: int(env, 'IDLE_UNLOAD_MS', DEFAULT_IDLE_UNLOAD_MS),
    ratePerSecond: int(env, 'RATE_PER_SECOND', DEFAULT_RATE_PER_SECOND),
    rateBurst: int(env, 'RATE_BURST', DEFAULT_RATE_BURST),
    groupCommitMax: int(env, 'GROUP_COMMIT_MAX', DEFAULT_GROUP_COMMIT_MAX),
    compactAfter: int(env, 'COMPACT_AFTER', DEFAULT_COMPACT_AFTER),
    projector: bool(env, 'PROJECTOR', true),
    webDist: env.WEB_DIST || resolve(new URL('../../web/dist', import.meta.url).pathname),
    logLevel: env.LOG_LEVEL || 'info',
    demo: bool(env, 'DEMO', true),
  })
}
