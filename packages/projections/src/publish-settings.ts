/**
 * The terminal part of a store's settings (offline policy, discount limit, allowances)
 * -> the store's catalog document, root `settings`, so a terminal reads them offline.
 * A diff like the other publishers: publishing again when nothing changed appends nothing.
 */
import { catalogDocName, writeTerminalSettings } from '@tally/schema'
import { loadStoreSettings, type Database, type StoredSettings } from '@tally/schema/db'
import { createDocWriter, type DocWriter } from './doc-writer.ts'
import type { PublishResult } from './publish.ts'

export async function publishSettings(database: Database, store: string, opts: { writer?: DocWriter; settings?: StoredSettings } = {}): Promise<PublishResult> {
  const writer = opts.writer ?? createDocWriter(database)
  const s = opts.settings ?? (await loadStoreSettings(database.db, store))
  const seq = await writer.change(catalogDocName(store), (doc) => writeTerminalSettings(doc, s.settings, s.version))
  return { seq }
}
