/**
 * The relay's configuration, parsed once from the environment into a frozen object.
 * Only main.ts and the CLIs call `loadConfig`; everything else receives values.
 */
import { decodeJwt } from 'jose'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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
 * WebSocket ping interval. A socket that answers nothing for two intervals is
 * terminated, so a silently dead terminal shows offline within three (30 s).
 */
export const DEFAULT_HEARTBEAT_MS = 10_000
/** Largest REST request body, checked before it is read (login has its own 4 KiB). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024
/** Largest REST sale upload body (up to 500 sales). */
export const DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
/** Refresh of this relay's `relay_instances` row; stale (a dead relay's) after three. */
export const DEFAULT_INSTANCE_BEAT_MS = 10_000
/** `/readyz` waits this long for the database; a load balancer's probe times out later. */
export const DEFAULT_READY_TIMEOUT_MS = 1_000

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

/**
 * HTTPS: off (plain HTTP, the default for a relay behind a TLS-terminating proxy),
 * `files` (TLS_CERT/TLS_KEY, PEM paths), or `local` (a CA of its own in DATA_DIR/tls
 * signing a certificate for this machine's addresses; TLS=local, and the default for a
 * store hub, UPSTREAM_URL set, whose terminals reach it by LAN address). `names` are
 * extra names for the certificate (TLS_NAMES, comma-separated: `hub.bar.lan,10.0.0.9`).
 */
export type TlsConfig =
  | { readonly mode: 'off' }
  | { readonly mode: 'files'; readonly cert: string; readonly key: string }
  | { readonly mode: 'local'; readonly names: readonly string[] }

/** Where the JWT secret came from: JWT_SECRET, or the file generated in DATA_DIR. */
export type JwtSecretSource = 'env' | 'file'

export interface RelayConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly databaseSchema: string
  readonly jwtSecret: string
  readonly jwtSecretSource: JwtSecretSource
  /**
   * Postgres only: how often this relay refreshes its row in `relay_instances`; a row
   * not refreshed for three intervals is a dead relay's and is ignored.
   */
  readonly instanceBeatMs: number
  /** `/readyz`: longest wait for the database to answer `SELECT 1` before it counts as down. */
  readonly readyTimeoutMs: number
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
  /** ws ping interval for /mux, /sync and the live feed; 0 turns the heartbeat off. */
  readonly heartbeatMs: number
  /** REST body limits in bytes (413 `too_large` above them). */
  readonly maxBodyBytes: number
  readonly maxUploadBytes: number
  /**
   * Proxies in front of the relay (TLS termination) that append to X-Forwarded-For; 0
   * means the socket's address is the client's. Login throttling counts per address.
   */
  readonly trustProxy: number
  /**
   * NATS server(s) for post-commit fan-out and awareness between relays
   * (`nats://host:4222`, comma-separated for a cluster); unset: Postgres NOTIFY only,
   * awareness stays per relay.
   */
  readonly natsUrl: string | undefined
  /**
   * Store hub mode (`UPSTREAM_URL` + `UPSTREAM_TOKEN`, both or neither): this relay
   * forwards its terminals' log rows to the central relay at `url` and takes the store's
   * shared documents down from it (upstream/). Null: a plain relay, as before.
   */
  readonly upstream: UpstreamConfig | null
  readonly tls: TlsConfig
  /**
   * Relays the web app's terminals may fail over to (ws(s) origins, WEB_CONNECT_SRC,
   * comma-separated; a hub's UPSTREAM_URL is added by itself): allowed in connect-src.
   */
  readonly webConnectSrc: readonly string[]
}

export interface UpstreamConfig {
  /** ws(s)://central:8787 (the central relay's base; `/mux` is appended). */
  readonly url: string
  /** A hub token signed by central (`npm run token -- --role hub`). */
  readonly token: string
  /** The token's store and subject (the hub's name), read from it (central verifies it). */
  readonly store: string
  readonly hub: string
}

export const defaultConfig = (jwtSecret: string): RelayConfig =>
  Object.freeze({
    port: DEFAULT_PORT,
    host: '127.0.0.1',
    dataDir: DEFAULT_DATA_DIR,
    databaseUrl: undefined,
    databaseSchema: 'public',
    jwtSecret,
    jwtSecretSource: 'env',
    instanceBeatMs: DEFAULT_INSTANCE_BEAT_MS,
    readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
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
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
    trustProxy: 0,
    natsUrl: undefined,
    upstream: null,
    tls: { mode: 'off' } as TlsConfig,
    webConnectSrc: [] as readonly string[],
  })

/**
 * A variable the relay cannot start with. It names the variable, so `main.ts` can print
 * one line that says what to fix (never a stack: the cause is the operator's input).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message)
  }
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  // Number() would take '0x10', '1e3' and '  7 '; an operator means digits.
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  if (!Number.isSafeInteger(n) || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? '0 or more' : `from 0 to ${max}`
    throw new ConfigError(name, `${name} must be a whole number ${range}, got "${raw.slice(0, 40)}"`)
  }
  return n
}

/** A URL with its password (and user) hidden: config errors and logs never print credentials. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@')
}

function schemaName(env: NodeJS.ProcessEnv): string {
  const raw = env.DATABASE_SCHEMA || 'public'
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) throw new ConfigError('DATABASE_SCHEMA', `DATABASE_SCHEMA must be a lower-case Postgres name (letters, digits, _), got "${raw.slice(0, 70)}"`)
  return raw
}

/** DATABASE_URL: a postgres:// or postgresql:// URL, checked here rather than deep in the driver. */
function databaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL
  if (!raw) return undefined
  let url: URL | null = null
  try {
    url = new URL(raw)
  } catch {
    url = null
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
    throw new ConfigError('DATABASE_URL', `DATABASE_URL must be a URL like postgres://user:password@host:5432/database, got "${redactUrl(raw).slice(0, 80)}"`)
  }
  return raw
}

/** NATS_URL: one or more nats:// (or tls://) URLs, comma-separated, checked before anything connects. */
function natsUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.NATS_URL?.trim()
  if (!raw) return undefined
  for (const part of raw.split(',')) {
    let url: URL | null = null
    try {
      url = new URL(part.trim())
    } catch {
      url = null
    }
    if (!url || (url.protocol !== 'nats:' && url.protocol !== 'tls:') || !url.hostname) {
      throw new ConfigError('NATS_URL', `NATS_URL must be a URL like nats://127.0.0.1:4222 (several separated by commas), got "${redactUrl(raw).slice(0, 80)}"`)
    }
  }
  return raw
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase())
}

function timeZone(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!isTimeZone(raw)) throw new ConfigError(name, `${name} must be an IANA time zone name such as Europe/Madrid, got "${raw}"`)
  return raw
}

/**
 * The JWT secret: JWT_SECRET, or one generated on first start and kept in the data
 * directory so tokens survive restarts. Anyone who reads it can sign an admin token, so
 * the directory is 0700 and the file 0600, an older, looser one included.
 */
function jwtSecret(env: NodeJS.ProcessEnv, dataDir: string): { secret: string; source: JwtSecretSource } {
  if (env.JWT_SECRET) return { secret: env.JWT_SECRET, source: 'env' }
  const file = join(dataDir, 'jwt-secret')
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    chmodSync(dataDir, 0o700)
    if (existsSync(file)) {
      chmodSync(file, 0o600)
      return { secret: readFileSync(file, 'utf8').trim(), source: 'file' }
    }
    const secret = randomBytes(32).toString('base64url')
    writeFileSync(file, secret + '\n', { mode: 0o600 })
    return { secret, source: 'file' }
  } catch (err) {
    throw dataDirError(dataDir, err)
  }
}

/** A data directory this process cannot make, enter or write, as a ConfigError naming DATA_DIR. */
export function dataDirError(dataDir: string, err: unknown): ConfigError {
  const e = err as NodeJS.ErrnoException
  const why =
    e.code === 'ENOTDIR' || e.code === 'EEXIST'
      ? 'a file is in the way of a directory'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EROFS'
          ? 'read-only file system'
          : (e.message ?? String(err))
  return new ConfigError('DATA_DIR', `DATA_DIR ${dataDir} is not a directory this user can write (${why}${e.path && e.path !== dataDir ? `: ${e.path}` : ''}); set DATA_DIR to one it can`)
}

/** TLS, TLS_CERT, TLS_KEY, TLS_NAMES: see TlsConfig. Paths are resolved against the working directory. */
export function tlsConfig(env: NodeJS.ProcessEnv): TlsConfig {
  const raw = (env.TLS ?? '').trim().toLowerCase()
  const cert = env.TLS_CERT?.trim() || undefined
  const key = env.TLS_KEY?.trim() || undefined
  const names = (env.TLS_NAMES ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '')
  for (const n of names) {
    if (!/^[a-z0-9.:_-]{1,253}$/i.test(n)) throw new ConfigError('TLS_NAMES', `TLS_NAMES must be host names or IP addresses separated by commas, got "${n.slice(0, 60)}"`)
  }
  if (!['', 'off', 'local', 'files', '0', 'false', 'no', '1', 'on', 'true', 'yes'].includes(raw)) {
    throw new ConfigError('TLS', `TLS must be off, local (a CA of this relay's own, made in DATA_DIR) or files (TLS_CERT and TLS_KEY), got "${(env.TLS ?? '').slice(0, 30)}"`)
  }
  const off = ['off', '0', 'false', 'no'].includes(raw)
  if (cert !== undefined || key !== undefined) {
    if (off || raw === 'local') throw new ConfigError('TLS', `TLS=${raw} but TLS_CERT/TLS_KEY are set; unset TLS or the two files`)
    if (cert === undefined) throw new ConfigError('TLS_CERT', 'TLS_KEY is set but TLS_CERT is not; give both (PEM files) or neither')
    if (key === undefined) throw new ConfigError('TLS_KEY', 'TLS_CERT is set but TLS_KEY is not; give both (PEM files) or neither')
    return { mode: 'files', cert: resolve(cert), key: resolve(key) }
  }
  if (raw === 'files') throw new ConfigError('TLS_CERT', 'TLS=files needs TLS_CERT and TLS_KEY (PEM files)')
  if (off) return { mode: 'off' }
  // A hub's terminals reach it by LAN address, where only HTTPS lets a browser keep the
  // app offline; a plain relay usually sits behind a proxy that terminates TLS.
  if (raw === '' && !env.UPSTREAM_URL) return { mode: 'off' }
  return { mode: 'local', names }
}

/** WEB_CONNECT_SRC plus UPSTREAM_URL, as ws(s)://host[:port] origins. */
export function webConnectSrc(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>()
  const add = (variable: string, raw: string) => {
    let u: URL | null = null
    try {
      u = new URL(raw)
    } catch {
      u = null
    }
    if (!u || !['ws:', 'wss:', 'http:', 'https:'].includes(u.protocol)) throw new ConfigError(variable, `${variable} must list relay addresses like wss://central.example.com:8787, got "${redactUrl(raw).slice(0, 80)}"`)
    const scheme = u.protocol === 'http:' || u.protocol === 'ws:' ? 'ws' : 'wss'
    out.add(`${scheme}://${u.host}`)
  }
  for (const raw of (env.WEB_CONNECT_SRC ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) add('WEB_CONNECT_SRC', raw)
  if (env.UPSTREAM_URL) {
    try {
      add('UPSTREAM_URL', env.UPSTREAM_URL)
    } catch {
      // UPSTREAM_URL is checked where the hub link reads it; a bad one is reported there.
    }
  }
  return [...out]
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const dataDir = resolve(env.DATA_DIR || DEFAULT_DATA_DIR)
  // Numbers and the URL first: a typo is reported before anything touches the disk.
  const numbers = {
    port: int(env, 'PORT', DEFAULT_PORT, 65_535),
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
    heartbeatMs: int(env, 'HEARTBEAT_MS', DEFAULT_HEARTBEAT_MS),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
    maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES),
    trustProxy: int(env, 'TRUST_PROXY', 0),
    instanceBeatMs: Math.max(1, int(env, 'INSTANCE_BEAT_MS', DEFAULT_INSTANCE_BEAT_MS)),
    readyTimeoutMs: Math.max(1, int(env, 'READY_TIMEOUT_MS', DEFAULT_READY_TIMEOUT_MS)),
  }
  const url = databaseUrl(env)
  const nats = natsUrl(env)
  const databaseSchema = schemaName(env)
  const reportTimeZone = timeZone(env, 'REPORT_TIME_ZONE', DEFAULT_REPORT_TIME_ZONE)
  const upstream = upstreamConfig(env)
  const tls = tlsConfig(env)
  const secret = jwtSecret(env, dataDir)
  return Object.freeze({
    ...defaultConfig(secret.secret),
    ...numbers,
    jwtSecretSource: secret.source,
    host: env.HOST || '127.0.0.1',
    dataDir,
    databaseUrl: url,
    databaseSchema,
    projector: bool(env, 'PROJECTOR', true),
    webDist: env.WEB_DIST || resolve(new URL('../../web/dist', import.meta.url).pathname),
    logLevel: env.LOG_LEVEL || 'info',
    demo: bool(env, 'DEMO', true),
    reportTimeZone,
    natsUrl: nats,
    upstream,
    tls,
    webConnectSrc: webConnectSrc(env),
  })
}

/** UPSTREAM_URL and UPSTREAM_TOKEN: both (a store hub) or neither (a plain relay). */
function upstreamConfig(env: NodeJS.ProcessEnv): UpstreamConfig | null {
  const url = env.UPSTREAM_URL?.trim() ?? ''
  const token = env.UPSTREAM_TOKEN?.trim() ?? ''
  if (url === '' && token === '') return null
  if (url === '') throw new ConfigError('UPSTREAM_URL', 'UPSTREAM_TOKEN is set but UPSTREAM_URL is not; set UPSTREAM_URL=ws://central:8787 (or unset both)')
  if (token === '') throw new ConfigError('UPSTREAM_TOKEN', 'UPSTREAM_URL is set but UPSTREAM_TOKEN is not; on the central relay run npm run token -- --store S --role hub --terminal NAME')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError('UPSTREAM_URL', `UPSTREAM_URL ${url} is not a URL; use ws://host:port or wss://host:port`)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ConfigError('UPSTREAM_URL', `UPSTREAM_URL must start with ws:// or wss:// (got ${parsed.protocol}//)`)
  }
  let claims: ReturnType<typeof decodeJwt>
  try {
    claims = decodeJwt(token)
  } catch {
    throw new ConfigError('UPSTREAM_TOKEN', 'UPSTREAM_TOKEN is not a token; copy the line npm run token -- --role hub printed on the central relay')
  }
  if (claims.role !== 'hub' || typeof claims.store !== 'string' || typeof claims.sub !== 'string' || claims.sub === '') {
    throw new ConfigError('UPSTREAM_TOKEN', `UPSTREAM_TOKEN is a ${String(claims.role)} token, not a hub token; on the central relay run npm run token -- --store S --role hub --terminal NAME`)
  }
  return { url: url.replace(/\/+$/, ''), token, store: claims.store, hub: claims.sub }
}
