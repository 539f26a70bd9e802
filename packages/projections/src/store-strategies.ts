/**
 * Strategies from a store's settings (store_settings, issue 16). The projector and the
 * REST upload answer both turn settings into strategies here, from rows read through
 * @tally/schema/db's one reader, so the two never judge one sale differently.
 */
import { DEFAULT_STORE_SETTINGS, type StoreSettings } from '@tally/schema'
import { loadStoreSettingsMany, type Db, type Tx } from '@tally/schema/db'
import { resolveStrategies, type ConflictKind, type Strategies, type Strategy } from './strategies.ts'

export type StrategyOverrides = Partial<Record<ConflictKind, Strategy>>

/** The store's strategies; `overrides` (code-passed, tests) win over the settings. */
export function strategiesFromSettings(settings: StoreSettings, overrides?: StrategyOverrides): Strategies {
  return resolveStrategies({ ...settings.strategies, ...(overrides ?? {}) })
}

/** The store of a `store\u0000product` stock key. */
export const storeOfKey = (key: string): string => key.slice(0, key.indexOf('\u0000'))

/**
 * Read the settings of `stores` (inside the caller's transaction, so a batch judges with
 * one consistent set) and answer a lookup by store. A store not read gets the defaults.
 */
export async function loadStoreStrategies(ex: Db | Tx, stores: Iterable<string>, overrides?: StrategyOverrides): Promise<(store: string) => Strategies> {
  return (await loadBatchSettings(ex, stores, overrides)).strategies
}

export interface BatchSettings {
  /** Each store's strategies (settings + code-passed overrides). */
  strategies: (store: string) => Strategies
  /** Each store's whole settings (offline policy, discounts, allowances), as read for this batch. */
  settings: (store: string) => StoreSettings
}

/** One read of the stores' settings for a batch: strategies and the rest, consistent with each other. */
export async function loadBatchSettings(ex: Db | Tx, stores: Iterable<string>, overrides?: StrategyOverrides): Promise<BatchSettings> {
  const rows = await loadStoreSettingsMany(ex, stores)
  const byStore = new Map<string, Strategies>()
  for (const [store, s] of rows) byStore.set(store, strategiesFromSettings(s.settings, overrides))
  const fallback = resolveStrategies(overrides)
  return {
    strategies: (store) => byStore.get(store) ?? fallback,
    settings: (store) => rows.get(store)?.settings ?? DEFAULT_STORE_SETTINGS,
  }
}
