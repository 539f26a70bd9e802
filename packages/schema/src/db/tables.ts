/**
 * The one place the relational model is defined. Migrations in ../../drizzle are
 * generated from this file (`npm run db:generate -w @tally/schema`).
 * Money columns are integer cents (bigint in mode number: exact up to 2^53).
 * What validation lets into each column (int4 ranges, business-window times, text with
 * no NUL) is in ../limits.ts: change a column type here, change its limit there.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  // Both drivers hand back a Buffer (a Uint8Array); copy into a plain view for Yjs.
  fromDriver: (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
  toDriver: (v) => v,
})

const cents = (name: string) => bigint(name, { mode: 'number' })
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

// ---- sync ----------------------------------------------------------------------------

export const updateLog = pgTable(
  'update_log',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    doc: text('doc').notNull(),
    store: text('store').notNull(),
    /** Client-chosen id of an outbox entry; a resend with the same id is not appended. */
    updateId: text('update_id'),
    bytes: bytea('bytes').notNull(),
    actor: text('actor').notNull(),
    /** Which relay process appended it, so others tailing the log know what is new to them. */
    origin: text('origin').notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('update_log_doc_seq').on(t.doc, t.seq), uniqueIndex('update_log_doc_update_id').on(t.doc, t.updateId)],
)

export const snapshots = pgTable('snapshots', {
  doc: text('doc').primaryKey(),
  store: text('store').notNull(),
  bytes: bytea('bytes').notNull(),
  /** Every log row of this document with seq <= uptoSeq is contained in bytes. */
  uptoSeq: bigint('upto_seq', { mode: 'number' }).notNull(),
  at: at('at').notNull().defaultNow(),
})

export const audit = pgTable(
  'audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: at('at').notNull().defaultNow(),
    store: text('store'),
    actor: text('actor'),
    /** connect | disconnect | refusal | login | master-data | resolution | ... */
    kind: text('kind').notNull(),
    code: text('code'),
    doc: text('doc'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_store_at').on(t.store, t.at), index('audit_actor_at').on(t.actor, t.at), index('audit_doc').on(t.doc)],
)

export const terminals = pgTable(
  'terminals',
  {
    store: text('store').notNull(),
    terminalId: text('terminal_id').notNull(),
    lastSeen: at('last_seen').notNull().defaultNow(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    connected: boolean('connected').notNull().default(false),
    pending: integer('pending').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [primaryKey({ columns: [t.store, t.terminalId] })],
)

export const checkpoints = pgTable('checkpoints', {
  name: text('name').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  at: at('at').notNull().defaultNow(),
})

/**
 * Relays running on this database, one row per process, refreshed periodically. Lets a
 * relay refuse to start with a JWT secret that differs from a live relay's (tokens of
 * one would be refused by the other). Holds a fingerprint of the secret, never the
 * secret; a row not refreshed for three of its beats is a dead relay's and is ignored.
 */
export const relayInstances = pgTable('relay_instances', {
  id: text('id').primaryKey(),
  /** Truncated SHA-256 of a domain prefix and the secret (see apps/relay/src/instances.ts). */
  secretFingerprint: text('secret_fingerprint').notNull(),
  /** env (JWT_SECRET) | file (generated in DATA_DIR) */
  secretSource: text('secret_source').notNull(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /** This relay's refresh interval: its row is live while last_seen is within three of them. */
  beatMs: integer('beat_ms').notNull(),
  startedAt: at('started_at').notNull().defaultNow(),
  lastSeen: at('last_seen').notNull().defaultNow(),
})

// ---- master data ---------------------------------------------------------------------

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    name: text('name').notNull(),
    category: text('category').notNull().default(''),
    price: cents('price').notNull(),
    taxRate: integer('tax_rate').notNull().default(0),
    active: boolean('active').notNull().default(true),
    trackStock: boolean('track_stock').notNull().default(true),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('products_store').on(t.store)],
)

/**
 * Every price a product has had, from when (written wherever a price is set). A ticket is
 * judged against the price in force at its sale time, and a price the product never had
 * is told apart from one the catalog changed while the terminal was offline.
 */
export const productPrices = pgTable(
  'product_prices',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    price: cents('price').notNull(),
    validFrom: at('valid_from').notNull().defaultNow(),
  },
  (t) => [index('product_prices_product').on(t.store, t.productId, t.validFrom)],
)

export const partners = pgTable(
  'partners',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    name: text('name').notNull(),
    memberNo: text('member_no').notNull().default(''),
    active: boolean('active').notNull().default(true),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('partners_store').on(t.store)],
)

export const visits = pgTable(
  'visits',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    partnerId: text('partner_id').notNull(),
    bracelets: jsonb('bracelets').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    entryAt: at('entry_at').notNull().defaultNow(),
    exitAt: at('exit_at'),
    /** Projected: the sum of the totals of the visit's accepted, non-voided tickets. */
    consumed: cents('consumed').notNull().default(0),
  },
  (t) => [index('visits_store_entry').on(t.store, t.entryAt)],
)

/**
 * Staff of a store (issue 16): who sells and who approves. The PIN is stored as a
 * PBKDF2-SHA256 hash (salt, iterations) that is also published to the store's terminals
 * (roster `staff`) so a PIN can be checked offline; see @tally/schema staff.ts for why.
 */
export const staff = pgTable(
  'staff',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    name: text('name').notNull(),
    /** bartender | manager */
    role: text('role').notNull(),
    pinHash: jsonb('pin_hash').$type<{ alg: 'pbkdf2-sha256'; iterations: number; salt: string; hash: string }>().notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('staff_store').on(t.store)],
)

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role').notNull(),
  store: text('store').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
})

// ---- projection ----------------------------------------------------------------------

export const tickets = pgTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    terminalId: text('terminal_id').notNull(),
    cashier: text('cashier').notNull().default(''),
    clientTime: at('client_time').notNull(),
    total: cents('total').notNull(),
    /** cash | card | visit, or `split` for a bill paid several ways (see `payments`). */
    paymentMethod: text('payment_method').notNull(),
    /** Tips and change are money handled, never sales: apart from `total`. */
    tip: cents('tip').notNull().default(0),
    tendered: cents('tendered'),
    changeGiven: cents('change_given').notNull().default(0),
    /** Each way the ticket was paid: [{ method, amount, tip }] (one entry when paid in one go). */
    payments: jsonb('payments').$type<Array<{ method: string; amount: number; tip: number }>>().notNull().default([]),
    receiptToken: text('receipt_token'),
    visitId: text('visit_id'),
    bracelet: text('bracelet'),
    /** accepted | refused | review (waits for a person; counts nowhere until accepted) */
    status: text('status').notNull(),
    reasons: jsonb('reasons').$type<Array<{ code: string; message: string }>>().notNull(),
    voided: boolean('voided').notNull().default(false),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    projectedAt: at('projected_at').notNull().defaultNow(),
    /**
     * The cart this ticket was checked out from (null for REST uploads). Two tickets naming
     * one cart, or sharing a cart line id, are two checkouts of one tab (indexed for that).
     */
    cartId: text('cart_id'),
    /**
     * Every discount given on the ticket (line discounts + the ticket discount), and the
     * tax inside its total (prices include tax), in cents (pricing.ts). Issue 16.
     */
    discountCents: cents('discount_cents').notNull().default(0),
    taxCents: cents('tax_cents').notNull().default(0),
    /** A refund: the ticket it gives money back for (its lines are negative). */
    refundOf: text('refund_of'),
    /** The staff member who sold (issue 16); null on tickets from before staff, whose `cashier` is free text. */
    staffId: text('staff_id'),
    /** Manager approvals given on the terminal: [{ action, staffId, staffName, at, detail }]. */
    approvals: jsonb('approvals').$type<Array<{ action: string; staffId: string; staffName: string; at: number; detail: string }>>().notNull().default([]),
  },
  (t) => [
    index('tickets_store_time').on(t.store, t.clientTime),
    index('tickets_refund_of').on(t.refundOf),
    index('tickets_store_visit').on(t.store, t.visitId),
    index('tickets_cart').on(t.cartId),
    index('tickets_receipt_token').on(t.receiptToken),
  ],
)

export const ticketLines = pgTable(
  'ticket_lines',
  {
    ticketId: text('ticket_id').notNull(),
    lineId: text('line_id').notNull(),
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    name: text('name').notNull(),
    qty: integer('qty').notNull(),
    unitPrice: cents('unit_price').notNull(),
    taxRate: integer('tax_rate').notNull().default(0),
    total: cents('total').notNull(),
    /** Its own discount plus its share of the ticket's; tax inside `total`; net = total - tax. */
    discountCents: cents('discount_cents').notNull().default(0),
    taxCents: cents('tax_cents').notNull().default(0),
    netCents: cents('net_cents').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.ticketId, t.lineId] }),
    index('ticket_lines_store_product').on(t.store, t.productId),
    // A cart line charged on two tickets (a merged tab charged twice) is found by its id.
    index('ticket_lines_line').on(t.lineId),
  ],
)

export const visitConsumption = pgTable(
  'visit_consumption',
  {
    visitId: text('visit_id').notNull(),
    ticketId: text('ticket_id').notNull(),
    store: text('store').notNull(),
    amount: cents('amount').notNull(),
    terminalId: text('terminal_id').notNull(),
    at: at('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.visitId, t.ticketId] })],
)

export const carts = pgTable('carts', {
  id: text('id').primaryKey(),
  store: text('store').notNull(),
  visitId: text('visit_id'),
  label: text('label').notNull().default(''),
  lineCount: integer('line_count').notNull(),
  total: cents('total').notNull(),
  checkedOut: text('checked_out'),
  updatedAt: at('updated_at').notNull().defaultNow(),
})

/** Sale movements are keyed by (ticket, line): a replay never doubles them. */
export const stockMovements = pgTable(
  'stock_movements',
  {
    ticketId: text('ticket_id').notNull(),
    lineId: text('line_id').notNull(),
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    qty: integer('qty').notNull(),
    at: at('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.lineId] }), index('stock_movements_product').on(t.store, t.productId)],
)

/** Opening counts, manual adjustments and physical counts, made in the back office. */
export const stockAdjustments = pgTable(
  'stock_adjustments',
  {
    id: text('id').primaryKey(),
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    /** opening | adjust | count */
    kind: text('kind').notNull(),
    delta: integer('delta').notNull(),
    note: text('note').notNull().default(''),
    by: text('by').notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('stock_adjustments_product').on(t.store, t.productId)],
)

export const stockLevels = pgTable(
  'stock_levels',
  {
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    adjusted: integer('adjusted').notNull().default(0),
    sold: integer('sold').notNull().default(0),
    level: integer('level').notNull().default(0),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.store, t.productId] })],
)

export const conflicts = pgTable(
  'conflicts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Stable identity of the conflict (e.g. oversold:store:product), so detection is idempotent. */
    key: text('key').notNull().unique(),
    store: text('store').notNull(),
    /**
     * oversold | visit_closed | unknown_product | inactive_product | price_changed |
     * unknown_price | totals_mismatch | duplicate | double_checkout | resend_changed
     * | unprojectable: a document whose rows the database refused, quarantined (key
     * `unprojectable:{doc}`; evidence: doc, seq, the error, what the document says). The
     * projection owns these rows: the document's next successful projection deletes it.
     */
    kind: text('kind').notNull(),
    docs: jsonb('docs').$type<string[]>().notNull(),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
    /** open | resolved */
    status: text('status').notNull().default('open'),
    strategy: text('strategy').notNull(),
    resolution: jsonb('resolution').$type<Record<string, unknown>>(),
    resolvedBy: text('resolved_by'),
    resolvedAt: at('resolved_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('conflicts_store_status').on(t.store, t.status)],
)

// ---- stock allowances (escrow; packages/schema/src/allowances.ts) ----------------------

/**
 * One terminal's allowance of one scarce product. `granted` is what it may sell under
 * `grant_id` (its own sales included); `used` is what the projection counted sold under
 * it, `reported` what the terminal said it sold (ahead of its unsynced tickets). The
 * outstanding part is granted - used (unsold or not yet synced); the grant transaction keeps
 * Σ outstanding ≤ level - reserve under a lock of the product's stock_levels row.
 */
export const stockAllowances = pgTable(
  'stock_allowances',
  {
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    terminalId: text('terminal_id').notNull(),
    grantId: text('grant_id').notNull(),
    version: integer('version').notNull().default(1),
    granted: integer('granted').notNull().default(0),
    used: integer('used').notNull().default(0),
    reported: integer('reported').notNull().default(0),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.store, t.productId, t.terminalId] }),
    check('stock_allowances_counts', sql`${t.granted} >= 0 AND ${t.used} >= 0 AND ${t.reported} >= 0 AND ${t.version} >= 1`),
  ],
)

/**
 * Projected: each scarce line and how the projection judged it against the grant it was
 * sold under (within | approved | beyond). Derived from tickets; a rebuild recomputes it.
 */
export const allowanceLines = pgTable(
  'allowance_lines',
  {
    ticketId: text('ticket_id').notNull(),
    lineId: text('line_id').notNull(),
    store: text('store').notNull(),
    productId: text('product_id').notNull(),
    terminalId: text('terminal_id').notNull(),
    grantId: text('grant_id'),
    version: integer('version').notNull(),
    qty: integer('qty').notNull(),
    /** Units the terminal counted within its grant. */
    claimed: integer('claimed').notNull(),
    /** Units the projection found within the grant. */
    within: integer('within').notNull().default(0),
    approval: jsonb('approval').$type<Record<string, unknown>>(),
    verdict: text('verdict').notNull().default('within'),
    at: at('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.lineId] }), index('allowance_lines_grant').on(t.store, t.productId, t.terminalId)],
)
// ---- settings (issue 16) ------------------------------------------------------------------

/**
 * Per-store settings: strategies per conflict kind, offline policy, discount limit, stock
 * allowances. The shape is ../store-settings.ts (validated there, read leniently);
 * `version` counts changes, so a terminal and an audit row can say which one applied.
 * Read and written only through db/store-settings.ts.
 */
export const storeSettings = pgTable('store_settings', {
  store: text('store').primaryKey(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  version: integer('version').notNull().default(1),
  updatedAt: at('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by'),
})
