/**
 * `npm start`: the relay (sync, REST, web app) and, by default, the projection worker,
 * on embedded PGlite in DATA_DIR or on DATABASE_URL. The only file that reads the
 * environment and listens.
 */
import { join } from 'node:path'
import pino from 'pino'
import { DataDirBusyError, openDatabase, restrictTree, restrictUmask } from '@tally/schema/db'
import { createProjector, seedDemo } from '@tally/projections'
import { ensureDemoAdmin, type DemoAdmin } from './api/demo-admin.ts'
import { createRelay } from './app.ts'
import { signToken } from './auth.ts'
import { loadConfig } from './config.ts'
import { listen } from './serve.ts'

// Everything this process writes is its owner's only (DATA_DIR holds password hashes,
// the logs and the JWT secret); a directory an older start left readable is repaired.
restrictUmask()
const config = loadConfig()
restrictTree(config.dataDir)
const logger = pino({ level: config.logLevel })

/** Two commit rounds in flight, document loads and the audit writer, ready before terminals come. */
const WARM_CONNECTIONS = 4

const database = await openDatabase(
  config.databaseUrl
    ? { url: config.databaseUrl, schema: config.databaseSchema, warm: WARM_CONNECTIONS }
    : { dataDir: join(config.dataDir, 'pg'), schema: config.databaseSchema, warmUp: true },
).catch((err: unknown) => {
  // A second process on the same PGlite directory is a mistake to explain, not a crash.
  if (!(err instanceof DataDirBusyError)) throw err
  process.stderr.write(`Tally cannot start: ${err.message}\n`)
  process.exit(1)
})
let demoAdmin: DemoAdmin | null = null
if (config.demo) {
  const demo = await seedDemo(database, 'demo')
  logger.debug({ demo }, 'demo data ready')
  demoAdmin = await ensureDemoAdmin(database)
}
const relay = createRelay({ database, config, logger })
const server = await listen(relay, config.port, config.host)
const projector = config.projector
  ? createProjector({
      database,
      onError: (err) => logger.error({ err }, 'projection failed; retrying'),
      onLeadership: (c) => {
        relay.core.metrics.projectorLeader.set(c.leader ? 1 : 0)
        if (c.leader) logger.info({ epoch: c.epoch }, 'projector is the leader')
        else logger.info({ reason: c.reason }, 'projector is a standby')
      },
    })
  : null
void projector?.follow()

const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${server.port}`
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
    `  Relay:       ${base}   (health ${base}/healthz, metrics ${base}/metrics)`,
    `  Terminal:    ${base}/pos`,
    `  Back office: ${base}/admin`,
    `  Sync:        ws://${base.slice('http://'.length)}/mux  and  /sync/{store}/{kind}/{id}`,
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
  await projector?.stop()
  await relay.close()
  await server.close()
  await database.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
