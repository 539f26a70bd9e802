/**
 * The log change feed, defined by the log's owner module
 * (`packages/schema/src/db/log-changes.ts`); the NATS feed in this folder implements it.
 */
export type { ChangeFeed, LogChange } from '@tally/schema/db'
