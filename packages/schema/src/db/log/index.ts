/**
 * The one owner of the update log, snapshots, checkpoints and change notifications.
 * Every other package reads and writes those tables through this module.
 */
export * from './rows.ts'
export { createUpdateLog, type UpdateLog } from './update-log.ts'
export { createLogWatermark, readOthersRows, type LogWatermark } from './watermark.ts'
export { createLogTail, type LogTail, type TailRow } from './tail.ts'
export { PROJECTION_CHECKPOINT, StaleCheckpointError, advanceCheckpoint, bumpCheckpoint, lockCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoints.ts'
export { createPgChangeFeed, parseLogNotice, type LogNotice, type PgChangeFeed, type PgChangeFeedOptions } from './pg-feed.ts'
