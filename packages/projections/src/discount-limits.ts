/**
 * Each store's discount limit without a manager's approval (settings `discounts.
 * maxWithoutApprovalPct`, issue 16), read in the batch's transaction through the one
 * settings reader, as the REST upload reads it, so both flag the same sales.
 */
import { loadStoreSettingsMany, type Db, type Tx } from '@tally/schema/db'
import { DEFAULT_STORE_SETTINGS } from '@tally/schema'

export async function loadDiscountLimits(ex: Db | Tx, stores: Iterable<string>): Promise<(store: string) => number> {
  const rows = await loadStoreSettingsMany(ex, stores)
  return (store) => rows.get(store)?.settings.discounts.maxWithoutApprovalPct ?? DEFAULT_STORE_SETTINGS.discounts.maxWithoutApprovalPct
}
