export { dropSchema, openDatabase } from './open.ts'
export { DataDirBusyError } from './dir-lock.ts'
export { DatabaseUnreachableError } from './connect-error.ts'
export { isListenResubscribeFailure } from './driver-quirks.ts'
export { ensurePrivateDir, restrictTree, restrictUmask } from './private-dir.ts'
export type { Database, Db, DbSession, OpenOptions, Tx } from './open.ts'
export * from './log/index.ts'
export type { ChangeFeed, LogChange } from './log-changes.ts'
export { writeAudit } from './audit.ts'
export { query, textArray, toBytes, type RawExecutor } from './raw-sql.ts'
export type { AuditEntry } from './audit.ts'
export * as tables from './tables.ts'
export {
  SETTINGS_CACHE_MAX_AGE_MS,
  SettingsVersionConflict,
  createSettingsCache,
  loadStoreSettings,
  loadStoreSettingsMany,
  saveStoreSettings,
  settingsChannel,
} from './store-settings.ts'
export type { SettingsCache, StoredSettings } from './store-settings.ts'
