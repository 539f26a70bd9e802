// Pure projections (no I/O): usable anywhere, including tests and tools.
export { projectTicket } from './ticket-rows.ts'
export type { StockMovementRow, TicketLineRow, TicketProjection, TicketRow } from './ticket-rows.ts'
export { projectVisit } from './visit-rows.ts'
export type { VisitConsumptionRow, VisitProjection } from './visit-rows.ts'
export { projectCart } from './cart-rows.ts'
export type { CartRow } from './cart-rows.ts'
export { ReasonCode, conflictKey, judgeTicket } from './validate-ticket.ts'
export type { CheckoutContext, Finding, JudgeContext, Judgement, Reason } from './validate-ticket.ts'
export { snapshotFromCatalogDoc, snapshotFromRows } from './catalog-snapshot.ts'
export type { CatalogSnapshot, SnapshotProduct, SnapshotVisit } from './catalog-snapshot.ts'
export { ConflictKind, DEFAULT_STRATEGIES, Strategy, outcomeFor, resolveStrategies } from './strategies.ts'
export type { HumanOutcome, Outcome, Strategies, StrategySource } from './strategies.ts'
export { strategiesFor } from './strategies.ts'
export { loadBatchSettings, loadStoreStrategies, storeOfKey, strategiesFromSettings } from './store-strategies.ts'
export type { BatchSettings, StrategyOverrides } from './store-strategies.ts'
export { findOversold, oversoldKey, stockLevel } from './stock.ts'
export type { Oversold, StockEvent } from './stock.ts'
export { PRICE_CLOCK_SKEW_MS, hadPrice, priceInForce, recordPrices } from './price-history.ts'
export type { PriceEntry } from './price-history.ts'
export { contentSignature, doubleCheckoutKey, findCheckoutGroups, saleClaims } from './double-checkout.ts'
export type { CheckoutGroup, CheckoutTicket, Repeats } from './double-checkout.ts'
export { readResends, resendKey, uploadContent, writeResend } from './resends.ts'
export type { Resend } from './resends.ts'
export { DUPLICATE_WINDOW_MS, duplicateKey, findDuplicates, lineSignature } from './duplicates.ts'
export type { DuplicateCandidate, DuplicatePair } from './duplicates.ts'

// The worker and the server-side writers (Postgres / PGlite).
export {
  CHECKPOINT,
  DEFAULT_BATCH_SIZE,
  DEFAULT_GAP_TIMEOUT_MS,
  DEFAULT_POLL_MS,
  createProjector,
  projectionChannel,
  projectionCheckpoint,
} from './worker.ts'
export type { Projector, ProjectorOptions, RunResult } from './worker.ts'
export { PROJECTION_ACTOR, appendUpdates, captureChange, createDocWriter } from './doc-writer.ts'
export type { DocWriter, PendingAppend } from './doc-writer.ts'
export { ROSTER_DAYS, publishCatalog, publishRoster, refreshStock } from './publish.ts'
export type { PublishResult } from './publish.ts'
export { publishSettings } from './publish-settings.ts'
export { demoProductId, seedDemo, stableUuid } from './demo.ts'
export type { DemoResult } from './demo.ts'
export { recomputeLevels } from './stock-sql.ts'
export type { LevelChange } from './stock-sql.ts'
export { checkAllowances } from './allowance-check.ts'
