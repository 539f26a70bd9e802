/**
 * `npm start`: the relay (sync, REST, web app) and, by default, the projection worker,
 * on embedded PGlite in DATA_DIR or on DATABASE_URL. The only file that reads the
 * environment and listens.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pino from 'pino'
import { isListenResubscribeFailure, openDatabase, restrictTree, restrictUmask, type Database } from '@tally/schema/db'
import { createProjector, seedDemo } from '@tally/projections'
import { ensureDemoAdmin, type DemoAdmin } from './api/demo-admin.ts'
import { createRelay } from './app.ts'
import { connectNatsBus, type NatsBus } from './bus/nats-bus.ts'
import { signToken } from './auth.ts'
import { dataDirError, loadConfig } from './config.ts'
import { registerInstance, type InstanceRegistration } from './instances.ts'
import { bind, httpsServer } from './serve.ts'
import { failStartup } from './startup-error.ts'
import { lanNames } from './tls/lan-names.ts'
import { prepareTls, watchLocalTls, type TlsSetup, type TlsWatch } from './tls/setup.ts'
import { CA_CERT_PATH, CA_PAGE_PATH, serveCaCertificate } from './web.ts'

/** Two commit rounds in flight, document loads and the audit writer, ready before terminals come. */
const WARM_CONNECTIONS = 4

const debug = (process.env.LOG_LEVEL ?? '').toLowerCase() === 'debug' || (process.env.LOG_LEVEL ?? '').toLowerCase() === 'trace'

// Everything this process writes is its owner's only (DATA_DIR holds password hashes,
// the logs and the JWT secret); a directory an older start left readable is repaired.
restrictUmask()
let config: ReturnType<typeof loadConfig>
let tls: TlsSetup | null = null
try {
  config = loadConfig()
  try {
    restrictTree(config.dataDir)
  } catch (err) {
    throw dataDirError(config.dataDir, err)
  }
  // Certificates before the port: a bad TLS_CERT is one line, and nothing listens.
  tls = prepareTls(config.tls, config.dataDir)
} catch (err) {
  failStartup(err, debug)
}
const logger = pino({ level: config.logLevel })
// The driver's own LISTEN re-subscribe can reject unhandled while the database is down
// (driver-quirks.ts): the relay stays up, /readyz says the database is down. Anything
// else unhandled is a bug: one line, and the process ends as Node would end it.
process.on('unhandledRejection', (err: unknown) => {
  if (isListenResubscribeFailure(err)) {
    logger.warn({ err }, 'database listener could not re-subscribe yet; the driver retries on the next connection')
    return
  }
  logger.fatal({ err }, 'unhandled rejection')
  process.exit(1)
})

// The port first: a port in use fails here, before the database is opened or migrated.
// Until the relay is mounted the port answers 503 (and /readyz says it is starting).
const server = await bind(config.port, config.host, tls ? { cert: tls.certPem, key: tls.keyPem } : undefined).catch((err: unknown) => failStartup(err, debug))

// NATS next, before the database is touched: a bad NATS_URL fails in one line, having
// migrated nothing.
let bus: NatsBus | undefined
if (config.natsUrl) {
  bus = await connectNatsBus({ url: config.natsUrl, schema: config.databaseSchema, instance: `relay-${randomUUID()}`, logger }).catch((err: unknown) => failStartup(err, debug))
}

let database: Database | undefined
let instance: InstanceRegistration | null = null
try {
  database = await openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl, schema: config.databaseSchema, warm: WARM_CONNECTIONS }
      : { dataDir: join(config.dataDir, 'pg'), schema: config.databaseSchema, warmUp: true },
  )
  // Several relays share a real Postgres; they must share the JWT secret too (instances.ts).
  if (database.kind === 'postgres') {
    instance = await registerInstance(database, { secret: config.jwtSecret, source: config.jwtSecretSource, beatMs: config.instanceBeatMs, logger })
  }
} catch (err) {
  await database?.close().catch(() => {})
  await bus?.close().catch(() => {})
  failStartup(err, debug)
}
let demoAdmin: DemoAdmin | null = null
if (config.demo) {
  const demo = await seedDemo(database, 'demo')
  logger.debug({ demo }, 'demo data ready')
  demoAdmin = await ensureDemoAdmin(database)
}
const localCa = tls?.ca ?? null
const relay = createRelay({ database, config, logger, ...(bus ? { bus } : {}), routes: localCa ? (app) => serveCaCertificate(app, localCa.certPem, localCa.fingerprint) : undefined })
server.mount(relay)
let tlsWatch: TlsWatch | null = null
if (tls?.mode === 'local' && config.tls.mode === 'local') {
  tlsWatch = watchLocalTls(tls, config.tls, httpsServer(server)!, (names, notAfter) =>
    logger.info({ ips: names.ips, dns: names.dns, notAfter }, 'addresses or expiry changed: new server certificate in use'),
  )
}
const projector = config.projector
  ? createProjector({
      database,
      // A store hub's projection is provisional and local: central's verdicts flow down.
      ...(config.upstream ? { writeBack: false } : {}),
      onError: (err) => logger.error({ err }, 'projection failed; retrying'),
      onLeadership: (c) => {
        relay.core.metrics.projectorLeader.set(c.leader ? 1 : 0)
        if (c.leader) logger.info({ epoch: c.epoch }, 'projector is the leader')
        else logger.info({ reason: c.reason }, 'projector is a standby')
      },
    })
  : null
void projector?.follow()

const scheme = tls ? 'https' : 'http'
const loopbackHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
const base = `${scheme}://${loopbackHost.includes(':') ? `[${loopbackHost}]` : loopbackHost}:${server.port}`
const wsBase = `${tls ? 'wss' : 'ws'}://${base.slice(`${scheme}://`.length)}`
const anyHost = config.host === '0.0.0.0' || config.host === '::'
const lanIps = anyHost ? lanNames().ips.filter((ip) => !ip.startsWith('127.') && ip !== '::1' && (config.host === '::' || !ip.includes(':'))) : []
const tlsLines = !tls
  ? []
  : tls.mode === 'files'
    ? [`  HTTPS:       certificate from TLS_CERT, valid until ${tls.notAfter.toISOString().slice(0, 10)}`, ...tls.warnings.map((w) => `  WARNING:     ${w}`)]
    : [
        `  HTTPS:       local CA ${tls.ca!.created ? 'created now' : 'kept'} in ${tls.ca!.certPath}`,
        `               SHA-256 ${tls.ca!.fingerprint}`,
        `               every terminal must install it once: ${lanIps[0] ? `${scheme}://${lanIps[0].includes(":") ? `[${lanIps[0]}]` : lanIps[0]}:${server.port}` : base}${CA_PAGE_PATH} (download ${CA_CERT_PATH}), steps in the README`,
        `               server certificate for ${[...tls.names!.ips, ...tls.names!.dns].join(', ')}`,
        ...(anyHost ? [] : [`               HOST is ${config.host}: set HOST=0.0.0.0 so terminals on the LAN can reach this relay`]),
      ]
const lanLines = lanIps.map((ip) => `  On the LAN:  ${scheme}://${ip.includes(':') ? `[${ip}]` : ip}:${server.port}/pos`)
const where = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `PGlite in ${join(config.dataDir, 'pg')}`
// Demo mode prints what it made; a production start (DEMO=0) prints no credential at all.
const demoLines = demoAdmin
  ? [
      ...(demoAdmin.password
        ? [
            `  Admin login: ${demoAdmin.email} / ${demoAdmin.password}   (${base}/admin)`,
            '               generated now and shown only this once; change it with',
            `               npm run user -- --email ${demoAdmin.email} --password NEW --store ${demoAdmin.store} --update`,
          ]
        : []),
      '',
      'Terminal token (store "demo", terminal "terminal-1"); paste it into the terminal:',
      await signToken(config.jwtSecret, { role: 'terminal', store: 'demo', sub: 'terminal-1' }),
    ]
  : ['  Demo data:   off (DEMO=0); add users with npm run user, terminal tokens with npm run token']
process.stdout.write(
  [
    '',
    `Tally is running on ${where}`,
    `  Relay:       ${base}   (health ${base}/healthz, ready ${base}/readyz, metrics ${base}/metrics)`,
    `  Terminal:    ${base}/pos`,
    `  Back office: ${base}/admin`,
    ...lanLines,
    `  Sync:        ${wsBase}/mux  and  /sync/{store}/{kind}/{id}`,
    `  Fan-out:     ${config.natsUrl ? 'NATS (NATS_URL), awareness across relays' : 'Postgres NOTIFY; awareness stays on this relay (set NATS_URL to share it)'}`,
    ...tlsLines,
    `  Projection:  ${projector ? 'running in this process' : 'off (PROJECTOR=0): run npm run project -- --follow'}`,
    ...demoLines,
    '',
  ].join('\n') + '\n',
)

let stopping = false
async function stop(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  logger.info({ signal }, 'shutting down')
  tlsWatch?.stop()
  await projector?.stop()
  await relay.close()
  await server.close()
  await instance?.stop()
  await database?.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
