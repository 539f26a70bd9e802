/**
 * `/readyz`: whether this relay can do its job now, for a load balancer deciding where
 * terminals go. Alive (`/healthz`) is not ready: with the database cut the process is up,
 * but every update it takes fails and every client is closed, so it must leave the pool
 * until the database answers again. Each dependency is a check with a bound; NATS (or
 * anything else the relay comes to need) joins as one more `ReadinessCheck`.
 */
import { sql } from 'drizzle-orm'
import type { Database } from '@tally/schema/db'

export interface ReadinessCheck {
  /** What is down when this fails: `database`, `nats`. */
  readonly name: string
  /** Resolves when the dependency answered; rejects (or hangs) when it did not. */
  check(): Promise<void>
}

export interface CheckResult {
  ok: boolean
  ms: number
  error?: string
}

export interface ReadinessReport {
  ready: boolean
  /** The names of the failed checks (and `relay` while it is stopping). */
  down: string[]
  checks: Record<string, CheckResult>
}

export interface Readiness {
  probe(): Promise<ReadinessReport>
  /** A relay shutting down leaves the pool before it closes its sockets. */
  stopping(): void
}

export function databaseCheck(database: Database): ReadinessCheck {
  return { name: 'database', check: async () => void (await database.db.execute(sql`SELECT 1`)) }
}

export function createReadiness(checks: readonly ReadinessCheck[], timeoutMs: number): Readiness {
  /**
   * One query per check in flight: a probe while the previous one still hangs (a
   * blackholed connection) waits on it rather than stacking up queries on the pool.
   */
  const inFlight = new Map<string, Promise<void>>()
  let stopping = false
  const run = async (c: ReadinessCheck): Promise<CheckResult> => {
    const started = performance.now()
    let pending = inFlight.get(c.name)
    if (!pending) {
      pending = c.check().finally(() => inFlight.delete(c.name))
      inFlight.set(c.name, pending)
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      await Promise.race([pending, bound])
      return { ok: true, ms: Math.round(performance.now() - started) }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return { ok: false, ms: Math.round(performance.now() - started), error: message.slice(0, 200) }
    } finally {
      clearTimeout(timer)
    }
  }
  return {
    async probe() {
      const results = await Promise.all(checks.map(async (c) => [c.name, await run(c)] as const))
      const down = results.filter(([, r]) => !r.ok).map(([name]) => name)
      if (stopping) down.unshift('relay')
      return { ready: down.length === 0, down, checks: Object.fromEntries(results) }
    },
    stopping() {
      stopping = true
    },
  }
}
