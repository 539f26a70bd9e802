/**
 * What every route receives: the relay core, a per-token rate limiter, serialized
 * document writers, audit writing and the change signal the live dashboard follows.
 */
import { EventEmitter } from 'node:events'
import { createDocWriter, strategiesFromSettings, type DocWriter, type Strategies } from '@tally/projections'
import { createSettingsCache, tables, type Database, type Db, type SettingsCache, type Tx } from '@tally/schema/db'
import type { AuditEntry } from '@tally/schema/db'
import type { RelayCore } from '../app.ts'
import { createRateLimiter, type RateLimiter } from '../rate-limit.ts'
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts'

export type Executor = Db | Tx

/** Raw SQL rows on both drivers (postgres-js returns the rows, PGlite `{ rows }`). */
export { query as rows } from '@tally/schema/db'

export interface DocWrites {
  /**
   * Run `fn` with the document writer of `actor`, one call at a time per actor. A
   * writer caches documents and appends updates made on them: two interleaved calls
   * on one writer could append an update that depends on one whose transaction rolled
   * back, which no replica could ever apply. On failure the cache is dropped.
   */
  run<T>(actor: string, fn: (writer: DocWriter) => Promise<T>): Promise<T>
}

export interface ApiContext {
  readonly core: RelayCore
  readonly database: Database
  readonly limiter: RateLimiter
  /** Wrong-password backoff per account, per address and per both (login-throttle.ts). */
  readonly logins: LoginThrottle
  /** Refusal rows per actor (token or client address): a flood of 401s or 403s cannot fill the table. */
  readonly refusalAudit: RateLimiter
  readonly writes: DocWrites
  /** Each store's settings (store_settings), cached; a change anywhere empties the cache. */
  readonly settings: SettingsCache
  /** The store's conflict strategies, from its settings: what the projection judges with. */
  strategiesFor(store: string): Promise<Strategies>
  /** update_log.origin of API appends: differs from the relay's, so the relay relays them. */
  readonly origin: string
  /** `changed(store)` after every API mutation (the live dashboard listens). */
  readonly events: EventEmitter<{ changed: [store: string] }>
}

const MAX_WRITERS = 64
/**
 * Per actor: 1,000 refusal rows at once, then 20 a second (the rest are counted in the
 * next row). Every refusal of a client probing the API is recorded; only a flood past
 * that, which would fill the audit log, is summarised.
 */
const REFUSAL_AUDIT_PER_SECOND = 20
const REFUSAL_AUDIT_BURST = 1000

function createDocWrites(database: Database, origin: string): DocWrites {
  const writers = new Map<string, { writer: DocWriter; chain: Promise<unknown> }>()
  return {
    run(actor, fn) {
      let w = writers.get(actor)
      if (!w) {
        if (writers.size >= MAX_WRITERS) {
          // Evict the oldest idle writer; a busy one keeps its chain (a second writer for
          // the same actor would be safe anyway: its documents get their own client ids).
          const first = writers.keys().next()
          if (!first.done) writers.delete(first.value)
        }
        w = { writer: createDocWriter(database, { actor, origin }), chain: Promise.resolve() }
        writers.set(actor, w)
      }
      const entry = w
      const run = async () => {
        try {
          return await fn(entry.writer)
        } catch (e) {
          entry.writer.invalidate()
          throw e
        }
      }
      const next = entry.chain.then(run, run)
      entry.chain = next.catch(() => {})
      return next
    },
  }
}

export function createApiContext(core: RelayCore): ApiContext {
  const origin = `${core.origin}-api`
  const events = new EventEmitter<{ changed: [store: string] }>()
  events.setMaxListeners(0)
  const settings = createSettingsCache(core.database)
  return {
    core,
    database: core.database,
    limiter: createRateLimiter(core.config.ratePerSecond, core.config.rateBurst),
    logins: createLoginThrottle(),
    refusalAudit: createRateLimiter(REFUSAL_AUDIT_PER_SECOND, REFUSAL_AUDIT_BURST),
    writes: createDocWrites(core.database, origin),
    settings,
    async strategiesFor(store) {
      return strategiesFromSettings((await settings.get(store)).settings)
    },
    origin,
    events,
  }
}

/** Write audit rows inside the caller's transaction, so a change and its record commit together. */
export async function audit(ex: Executor, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? (entries as readonly AuditEntry[]) : [entries as AuditEntry]
  if (list.length === 0) return
  await ex.insert(tables.audit).values(
    list.map((e) => ({ store: e.store ?? null, actor: e.actor ?? null, kind: e.kind, code: e.code ?? null, doc: e.doc ?? null, detail: e.detail ?? null })),
  )
}
