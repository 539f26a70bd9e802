/**
 * `createRelay(deps)`: the Hono app (REST, health, metrics, the web app) and the sync
 * core. It reads no environment and opens nothing; main.ts does that.
 */
import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { Hono } from 'hono'
import pino, { type Logger } from 'pino'
import { ErrorCode, TallyError } from '@tally/schema'
import { createPgChangeFeed, createUpdateLog, loadStoreSettings, type ChangeFeed, type Database, type UpdateLog } from '@tally/schema/db'
import { mountApi } from './api/index.ts'
import type { RelayConfig } from './config.ts'
import { mountHealth } from './health.ts'
import { combineFeeds } from './bus/combined-feed.ts'
import type { NatsBus } from './bus/nats-bus.ts'
import { createMetrics, type RelayMetrics } from './metrics.ts'
import { createReadiness, databaseCheck, type ReadinessCheck } from './readiness.ts'
import { createRateLimiter } from './rate-limit.ts'
import { createAuditSink, type AuditSink } from './sync/audit-sink.ts'
import { createDocRegistry, type DocRegistry } from './sync/doc-registry.ts'
import { handleMuxConnection } from './sync/mux-connection.ts'
import { createTerminalBoard, type TerminalBoard } from './sync/terminal-board.ts'
import type { SessionDeps, Socket } from './sync/session.ts'
import { handleSyncConnection, type Connection } from './sync/ysync-connection.ts'
import { readCursor } from './upstream/forwarder.ts'
import { heldInLog } from './upstream/hq-board.ts'
import { createHubBoard, type HubBoard } from './upstream/hub-board.ts'
import { createUpstreamLink, type UpstreamLink } from './upstream/link.ts'
import { serveWeb } from './web.ts'
import type { AllowanceSettingsSource } from './api/allowance-grants.ts'
import { attachWebSockets } from './ws-adapter.ts'

export interface RelayDeps {
  database: Database
  config: RelayConfig
  logger?: Logger
  /** Wrap the update log (tests: a store that delays commits). */
  wrapLog?: (log: UpdateLog) => UpdateLog
  /** Mount extra routes (the REST API) on the app before the web fallback. */
  routes?: (app: Hono, relay: RelayCore) => void
  /** `/readyz` checks besides the database's (NATS, once the relay uses it). */
  readinessChecks?: readonly ReadinessCheck[]
  /** NATS (NATS_URL): post-commit fan-out and awareness between relays; closed with the relay. */
  bus?: NatsBus
  /** How the relay hears of other processes' commits (default: Postgres NOTIFY; NATS plugs in here). */
  feed?: ChangeFeed
  /** Period of the catch-up check of every held document (default 30 s). */
  logCheckMs?: number
  /** The stores' stock allowance settings (default: allowances off). */
  allowanceSettings?: AllowanceSettingsSource
}

export interface RelayCore {
  readonly database: Database
  readonly log: UpdateLog
  readonly registry: DocRegistry
  readonly audit: AuditSink
  readonly metrics: RelayMetrics
  readonly config: RelayConfig
  readonly logger: Logger
  readonly origin: string
  /** Terminals connected to this relay and what they last reported (the dashboard reads it). */
  readonly terminals: TerminalBoard
  /** Store hubs linked to this relay (central side): link state and lag. */
  readonly hubs: HubBoard
  /** This relay's link to central when it is a store hub (UPSTREAM_URL), else null. */
  readonly upstream: UpstreamLink | null
  readonly allowanceSettings: AllowanceSettingsSource
  handleConnection(socket: Socket, info: { path: 'sync' | 'mux'; docName?: string; token: string | null; acks: boolean; remote: string; store?: string | null }): Connection
}

export interface Relay {
  readonly app: Hono
  readonly core: RelayCore
  /** Serve WebSockets on an http server (the one `serve()` returned). */
  attach(server: Server): void
  close(): Promise<void>
}

export function createRelay(deps: RelayDeps): Relay {
  const { database, config } = deps
  const logger = deps.logger ?? pino({ level: config.logLevel })
  const origin = `relay-${randomUUID()}`
  const metrics = createMetrics(true)
  const baseLog = createUpdateLog(database, origin)
  const log = deps.wrapLog ? deps.wrapLog(baseLog) : baseLog
  // On NATS: its messages bring other relays' rows with their bytes; the Postgres feed
  // still hears every commit (and the writers that never announce): bus/combined-feed.ts.
  const feed = deps.feed ?? (deps.bus ? combineFeeds(deps.bus, createPgChangeFeed(database, { origin })) : undefined)
  const registry = createDocRegistry({
    database,
    log,
    origin,
    metrics,
    logger,
    groupCommitMax: config.groupCommitMax,
    idleUnloadMs: config.idleUnloadMs,
    compactAfter: config.compactAfter,
    ...(feed ? { feed } : {}),
    ...(deps.logCheckMs !== undefined ? { checkMs: deps.logCheckMs } : {}),
    ...(deps.bus ? { awareness: deps.bus } : {}),
    // A hub keeps every row until central holds it (the forward cursor), whatever its projection passed.
    ...(config.upstream ? { pruneFloor: () => readCursor(database) } : {}),
  })
  deps.bus?.registerMetrics(metrics.registry)
  const audit = createAuditSink(database, logger)
  const terminals = createTerminalBoard(audit, config.heartbeatMs)
  const hubs = createHubBoard()
  const upstream = config.upstream
    ? createUpstreamLink({ database, log: baseLog, registry, audit, logger, config: config.upstream, heartbeatMs: config.heartbeatMs })
    : null
  const sessionDeps: SessionDeps = {
    registry,
    audit,
    metrics,
    limiter: createRateLimiter(config.ratePerSecond, config.rateBurst),
    logger,
    jwtSecret: config.jwtSecret,
    maxMessageBytes: config.maxMessageBytes,
    terminals,
    maxDocsPerSocket: config.maxDocsPerSocket,
    awareness: {
      maxBytes: config.maxAwarenessBytes,
      clientsPerConnection: config.awarenessClientsPerConnection,
      budget: createRateLimiter(config.awarenessBytesPerSecond, config.awarenessBurstBytes),
    },
    hubs,
    ...(upstream ? { hq: upstream.board, heldAtHq: (doc: string, ids: readonly string[]) => upstream.board.heldOf(doc, ids) } : { heldAtHq: (doc: string, ids: readonly string[]) => heldInLog(database, doc, ids) }),
  }

  const core: RelayCore = {
    database,
    log,
    registry,
    audit,
    metrics,
    config,
    logger,
    origin,
    terminals,
    hubs,
    upstream,
    // Read inside the grant transaction, from the same row the projector and REST read.
    allowanceSettings: deps.allowanceSettings ?? (async (ex, store) => (await loadStoreSettings(ex, store)).settings.allowances),
    handleConnection(socket, info) {
      return info.path === 'mux'
        ? handleMuxConnection(sessionDeps, socket, info)
        : handleSyncConnection(sessionDeps, socket, { ...info, docName: info.docName ?? '' })
    },
  }

  const app = new Hono()
  app.onError((err, c) => {
    if (err instanceof TallyError) return c.json({ error: { code: err.code, message: err.message } }, err.status as 400)
    logger.error({ err }, 'request failed')
    return c.json({ error: { code: ErrorCode.internal, message: 'internal error' } }, 500)
  })
  const readiness = createReadiness([databaseCheck(database), ...(deps.bus ? [deps.bus.readiness] : []), ...(deps.readinessChecks ?? [])], config.readyTimeoutMs)
  mountHealth(app, readiness, { database: database.kind, loadedDocuments: () => registry.size })
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }))
  const api = mountApi(app, core)
  deps.routes?.(app, core)
  if (config.webDist) serveWeb(app, config.webDist, config.webConnectSrc)
  app.notFound((c) => c.json({ error: { code: ErrorCode.notFound, message: `no route for ${c.req.method} ${c.req.path}` } }, 404))

  let sockets: { close(code: number, reason: string): Promise<void> } | null = null

  return {
    app,
    core,
    attach(server) {
      sockets = attachWebSockets(
        server,
        {
          connect(request, socket) {
            const { endpoint, remote } = request
            if (endpoint.path === 'mux') return core.handleConnection(socket, { path: 'mux', token: endpoint.token, acks: true, remote, store: request.url.searchParams.get('store') })
            if (endpoint.path === 'sync') return core.handleConnection(socket, { path: 'sync', docName: endpoint.docName, token: endpoint.token, acks: endpoint.acks, remote })
            return null
          },
          route: (url) => api.route(url),
          onRefused(refusal) {
            metrics.refusals.inc({ reason: refusal.code })
            audit.add({
              store: refusal.store,
              actor: 'anonymous',
              kind: 'refusal',
              code: refusal.code,
              doc: refusal.doc,
              detail: { reason: refusal.reason, remote: refusal.remote, authenticated: false, stage: 'upgrade' },
            })
          },
          onSilent(url, remote) {
            logger.info({ path: url.pathname, remote }, 'terminated a socket that answered no heartbeat')
          },
          onError(err, where) {
            // A bug, not input: logged loudly; only that connection was closed.
            logger.error({ err, where }, 'websocket handler failed; connection closed')
            metrics.refusals.inc({ reason: ErrorCode.internal })
            audit.add({ kind: 'error', code: ErrorCode.internal, detail: { where, message: err instanceof Error ? err.message : String(err) } })
          },
        },
        config.maxMessageBytes,
        config.maxBufferedBytes,
        config.heartbeatMs,
      )
    },
    async close() {
      readiness.stopping()
      await upstream?.close()
      await sockets?.close(1012, 'relay restarting')
      await registry.close()
      await api.close()
      if (feed && feed !== deps.feed) await feed.close().catch(() => {})
      await deps.bus?.close()
      await audit.close()
    },
  }
}
