/**
 * The one reader and writer of `store_settings`. The projector reads a batch's stores
 * inside its transaction (loadStoreSettingsMany), the REST layer through a cache that a
 * NOTIFY on every change empties (createSettingsCache): both parse the row with the same
 * function, so an upload's answer and the projection's verdict never disagree.
 */
import { eq, sql } from 'drizzle-orm'
import { DEFAULT_STORE_SETTINGS, readSettingsValue, type StoreSettings } from '../store-settings.ts'
import type { Database, Db, Tx } from './open.ts'
import { query, textArray } from './raw-sql.ts'
import { storeSettings } from './tables.ts'

export interface StoredSettings {
  readonly store: string
  readonly settings: StoreSettings
  /** 0 while the store has never saved settings (the defaults apply). */
  readonly version: number
  readonly updatedAt: Date | null
  readonly updatedBy: string | null
}

type Executor = Db | Tx

/** Channel a settings change is announced on (payload: the store). */
export const settingsChannel = (schema: string): string => `tally_settings_${schema}`

const defaults = (store: string): StoredSettings => ({ store, settings: DEFAULT_STORE_SETTINGS, version: 0, updatedAt: null, updatedBy: null })

function fromRow(r: { store: string; settings: unknown; version: number | string; updated_at?: unknown; updatedAt?: unknown; updated_by?: unknown; updatedBy?: unknown }): StoredSettings {
  const at = r.updatedAt ?? r.updated_at
  const by = r.updatedBy ?? r.updated_by
  return {
    store: r.store,
    settings: readSettingsValue(typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings),
    version: Number(r.version),
    updatedAt: at instanceof Date ? at : typeof at === 'string' ? new Date(at) : null,
    updatedBy: typeof by === 'string' ? by : null,
  }
}

/** The store's settings, or the defaults when it has none. */
export async function loadStoreSettings(ex: Executor, store: string): Promise<StoredSettings> {
  const [row] = await ex.select().from(storeSettings).where(eq(storeSettings.store, store))
  return row ? fromRow(row) : defaults(store)
}

/** Settings of several stores in one query; every asked store is in the map. */
export async function loadStoreSettingsMany(ex: Executor, stores: Iterable<string>): Promise<Map<string, StoredSettings>> {
  const list = [...new Set(stores)]
  const out = new Map<string, StoredSettings>()
  if (list.length === 0) return out
  const rows = await query<{ store: string; settings: unknown; version: number; updated_at: unknown; updated_by: unknown }>(
    ex,
    sql`SELECT store, settings, version, updated_at, updated_by FROM store_settings WHERE store = ANY(${textArray(list)})`,
  )
  for (const r of rows) out.set(r.store, fromRow(r))
  for (const s of list) if (!out.has(s)) out.set(s, defaults(s))
  return out
}

export class SettingsVersionConflict extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`settings changed meanwhile: you edited version ${expected}, the store is at version ${actual}`)
  }
}

/**
 * Save a store's settings inside the caller's transaction (so the audit row commits
 * with it) and announce the change at commit. `expectedVersion`, when given, must be the
 * stored version: two managers saving at once do not silently overwrite each other.
 */
export async function saveStoreSettings(
  tx: Tx,
  input: { store: string; settings: StoreSettings; by: string | null; schema: string; expectedVersion?: number | undefined },
): Promise<{ before: StoredSettings; after: StoredSettings }> {
  // Lock the row (when there is one) so the version check and the write are one step.
  const [locked] = await query<{ store: string; settings: unknown; version: number; updated_at: unknown; updated_by: unknown }>(
    tx,
    sql`SELECT store, settings, version, updated_at, updated_by FROM store_settings WHERE store = ${input.store} FOR UPDATE`,
  )
  const before = locked ? fromRow(locked) : defaults(input.store)
  if (input.expectedVersion !== undefined && input.expectedVersion !== before.version) throw new SettingsVersionConflict(input.expectedVersion, before.version)
  const now = new Date()
  const [row] = await tx
    .insert(storeSettings)
    .values({ store: input.store, settings: input.settings as unknown as Record<string, unknown>, version: 1, updatedAt: now, updatedBy: input.by })
    .onConflictDoUpdate({
      target: storeSettings.store,
      set: { settings: input.settings as unknown as Record<string, unknown>, version: sql`${storeSettings.version} + 1`, updatedAt: now, updatedBy: input.by },
    })
    .returning()
  const after = fromRow(row as NonNullable<typeof row>)
  if (input.expectedVersion !== undefined && after.version !== input.expectedVersion + 1) {
    // A first save racing another first save: the other inserted between our read and write.
    throw new SettingsVersionConflict(input.expectedVersion, after.version - 1)
  }
  await tx.execute(sql`SELECT pg_notify(${settingsChannel(input.schema)}, ${input.store})`)
  return { before, after }
}

export interface SettingsCache {
  /** The store's settings: cached, re-read after any change announced on the channel. */
  get(store: string): Promise<StoredSettings>
  /** Forget one store (or all): the next get reads the row. */
  invalidate(store?: string): void
  /** Follow the change channel (other relays' saves); polling is not needed: a missed NOTIFY costs at most `maxAgeMs`. */
  start(): Promise<void>
  close(): Promise<void>
}

/** How long a cached entry is trusted without a NOTIFY (a LISTEN connection that dropped). */
export const SETTINGS_CACHE_MAX_AGE_MS = 30_000

export function createSettingsCache(database: Database, opts: { maxAgeMs?: number } = {}): SettingsCache {
  const maxAge = opts.maxAgeMs ?? SETTINGS_CACHE_MAX_AGE_MS
  const entries = new Map<string, { at: number; value: Promise<StoredSettings>; generation: number }>()
  // Bumped by every invalidation, so a read that started before it is never cached after it.
  let generation = 0
  let unlisten: (() => Promise<void>) | null = null
  return {
    get(store) {
      const e = entries.get(store)
      if (e && Date.now() - e.at < maxAge && e.generation === generation) return e.value
      const g = generation
      const value = loadStoreSettings(database.db, store)
      const entry = { at: Date.now(), value, generation: g }
      entries.set(store, entry)
      value.catch(() => {
        if (entries.get(store) === entry) entries.delete(store)
      })
      return value
    },
    invalidate(store) {
      generation++
      if (store === undefined) entries.clear()
      else entries.delete(store)
    },
    async start() {
      if (unlisten) return
      unlisten = await database.listen(settingsChannel(database.schema), (store) => {
        generation++
        entries.delete(store)
      })
    },
    async close() {
      const u = unlisten
      unlisten = null
      if (u) await u()
      entries.clear()
    },
  }
}
