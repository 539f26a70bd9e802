/**
 * Master data -> the store's catalog and roster documents. Rows are committed first
 * (with their audit row); then the publisher appends whatever the document lacks to
 * the log, which the relay follows and relays to every connected terminal. Publishing
 * is a diff, so a publish that failed is repaired by the next one.
 */
import { publishCatalog, publishRoster, publishSettings, refreshStock } from '@tally/projections'
import type { StoredSettings } from '@tally/schema/db'
import { ErrorCode } from '@tally/schema'
import { actorOf, type Claims } from '../auth.ts'
import type { ApiContext } from './context.ts'
import { ApiError } from './http.ts'

export type Published = { seq: number | null }

async function guarded(ctx: ApiContext, store: string, what: string, fn: () => Promise<Published>): Promise<Published> {
  try {
    const r = await fn()
    ctx.events.emit('changed', store)
    return r
  } catch (err) {
    ctx.core.logger.error({ err, store, what }, 'publishing failed')
    ctx.events.emit('changed', store)
    throw new ApiError(ErrorCode.unavailable, `saved, but publishing the ${what} failed; the next change publishes it again`, 503)
  }
}

export function publishCatalogAs(ctx: ApiContext, who: Claims): Promise<Published> {
  return guarded(ctx, who.store, 'catalog', () => ctx.writes.run(actorOf(who), (writer) => publishCatalog(ctx.database, who.store, { writer })))
}

export function publishRosterAs(ctx: ApiContext, who: Claims): Promise<Published> {
  return guarded(ctx, who.store, 'roster', () => ctx.writes.run(actorOf(who), (writer) => publishRoster(ctx.database, who.store, new Date(), { writer })))
}

/** After a stock adjustment: levels, oversold conflicts and the published stock. */
export function refreshStockAs(ctx: ApiContext, who: Claims, productIds: readonly string[]): Promise<Published> {
  return guarded(ctx, who.store, 'stock', async () => {
    await ctx.writes.run(actorOf(who), (writer) => refreshStock(ctx.database, who.store, productIds, { writer }))
    return { seq: null }
  })
}

/** After a settings change: the terminal part into the store's catalog document. */
export function publishSettingsAs(ctx: ApiContext, who: Claims, settings?: StoredSettings): Promise<Published> {
  return guarded(ctx, who.store, 'settings', () => ctx.writes.run(actorOf(who), (writer) => publishSettings(ctx.database, who.store, { writer, ...(settings ? { settings } : {}) })))
}
