/**
 * Test fixture: a real relay on a real socket (port 0) over a database from
 * `testBackends()`. `restart()` stops it and starts a new one on the same database.
 */
import pino from 'pino'
import type { Role } from '@tally/schema'
import type { Database, UpdateLog } from '@tally/schema/db'
import { createProjector, type Projector } from '@tally/projections'
import { createRelay, type Relay, type RelayDeps } from './app.ts'
import { signToken } from './auth.ts'
import { defaultConfig, type RelayConfig } from './config.ts'
import { listen } from './serve.ts'

export const TEST_SECRET = 'test-secret-not-for-production'

export interface TestRelay {
  readonly httpUrl: string
  readonly wsUrl: string
  readonly port: number
  readonly relay: Relay
  readonly secret: string
  /** The in-process projection worker, when started with `projector: true`. */
  readonly projector: Projector | null
  token(opts?: { role?: Role; store?: string; sub?: string; ttlSeconds?: number }): Promise<string>
  /** Close the relay (clean shutdown) and the listening socket; the database stays open. */
  close(): Promise<void>
}

export async function startTestRelay(
  opts: { database: Database; port?: number; routes?: RelayDeps['routes']; wrapLog?: RelayDeps['wrapLog']; feed?: RelayDeps['feed']; logCheckMs?: number; allowanceSettings?: RelayDeps['allowanceSettings'] } & Partial<RelayConfig>,
): Promise<TestRelay> {
  const { database, port = 0, routes, wrapLog, feed, logCheckMs, allowanceSettings, ...overrides } = opts
  const config: RelayConfig = Object.freeze({
    ...defaultConfig(TEST_SECRET),
    projector: false,
    demo: false,
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    ...overrides,
  })
  const relay = createRelay({ database, config, logger: pino({ level: config.logLevel }), ...(routes ? { routes } : {}), ...(wrapLog ? { wrapLog } : {}), ...(feed ? { feed } : {}), ...(logCheckMs !== undefined ? { logCheckMs } : {}), ...(allowanceSettings ? { allowanceSettings } : {}) })
  const server = await listen(relay, port, '127.0.0.1')
  const projector = config.projector ? createProjector({ database }) : null
  void projector?.follow()
  return {
    projector,
    httpUrl: `http://127.0.0.1:${server.port}`,
    wsUrl: `ws://127.0.0.1:${server.port}`,
    port: server.port,
    relay,
    secret: config.jwtSecret,
    token: (t = {}) =>
      signToken(config.jwtSecret, { role: t.role ?? 'terminal', store: t.store ?? 'store1', sub: t.sub ?? 'term-1', ...(t.ttlSeconds !== undefined ? { ttlSeconds: t.ttlSeconds } : {}) }),
    async close() {
      await projector?.stop()
      await relay.close()
      await server.close()
    },
  }
}

/**
 * An update log whose commits wait at a gate the test opens: shows that nothing is
 * acknowledged or relayed before its row is committed.
 */
export function gatedLog(): { wrap: (log: UpdateLog) => UpdateLog; open: () => void; reached: Promise<void> } {
  let open: () => void = () => {}
  const gate = new Promise<void>((r) => (open = r))
  let reached: () => void = () => {}
  const reachedP = new Promise<void>((r) => (reached = r))
  return {
    open: () => open(),
    reached: reachedP,
    wrap: (log) => ({
      ...log,
      channel: log.channel,
      async append(batch) {
        reached()
        await gate
        return log.append(batch)
      },
    }),
  }
}
