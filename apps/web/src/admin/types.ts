/** Shapes of the REST API (see /work/brief/REST.md and apps/relay/src/api). Money in cents. */
export interface TerminalStatus {
  terminalId: string
  connected: boolean
  lastSeen: string | null
  lastSeq: number
  /** Pending sales as the terminal reported them; null: it has not reported to this relay. */
  pending: number | null
  /** The sync client's unacknowledged changes, as reported; null: unknown. */
  pendingChanges?: number | null
  reportedAt?: string | null
  /** Last frame or heartbeat answer the relay got from it. */
  lastContact?: string | null
  lastError: string | null
}

export interface Dashboard {
  terminals: TerminalStatus[]
  /** lagTickets: this store's sales not projected yet (older relays omit it). */
  projection: { checkpoint: number; head: number; lagRows: number; lagSeconds: number; lagTickets?: number }
  openConflicts: number
  alerts: Array<{ level: string; message: string }>
}

export interface Product {
  id: string
  name: string
  category: string
  price: number
  taxRate: number
  active: boolean
  trackStock: boolean
}

export interface Partner {
  id: string
  name: string
  memberNo: string
  active: boolean
}

export interface Visit {
  id: string
  partnerId: string
  partnerName?: string
  bracelets: string[]
  entryAt: string
  exitAt: string | null
  consumed?: number
}

export interface StockRow {
  productId: string
  name: string
  level: number
  sold: number
  /** Opening stock plus every later adjustment. */
  adjusted: number
  /** The opening stock alone, and the later adjustments (deliveries, breakage, counts). */
  opening?: number
  adjustments?: number
  oversold: boolean
}

export const SALES_BY = ['day', 'hour', 'product', 'terminal', 'cashier', 'staff', 'payment'] as const
export type SalesBy = (typeof SALES_BY)[number]

export interface SalesRow {
  key: string
  /** Product name for by=product; the key otherwise. */
  label?: string
  tickets: number
  units: number
  total: number
}

export interface SalesReport {
  /** The IANA zone the days and hours are in; hour keys carry their UTC offset. */
  tz?: string
  rows: SalesRow[]
  totals: { tickets: number; units: number; total: number }
}

export interface VisitReportRow {
  visitId: string
  partner: string
  entryAt: string
  exitAt: string | null
  consumed: number
  tickets: number
}

export const STRATEGIES = ['last_write', 'server_wins', 'terminal_wins', 'merge', 'manual'] as const
export type Strategy = (typeof STRATEGIES)[number]

export interface Conflict {
  id: number | string
  key?: string
  kind: string
  docs: string[]
  evidence: Record<string, unknown>
  status: 'open' | 'resolved' | string
  strategy: string
  resolution: Record<string, unknown> | null
  resolvedBy: string | null
  resolvedAt: string | null
  createdAt: string
  /** Each of `docs` as a person reads it (same order). */
  subjects?: Array<DocSubject | null | undefined>
  /** GET /conflicts/:id only: the tickets involved, as projected. */
  tickets?: ConflictTicket[]
}

export interface ConflictTicket {
  id: string
  terminalId: string
  clientTime: string
  total: number
  paymentMethod: string
  status: string
  lines?: Array<{ lineId: string; name: string; qty: number; unitPrice: number; total: number }>
}

export interface AuditRow {
  id: number | string
  at: string
  store?: string | null
  actor: string | null
  kind: string
  code: string | null
  doc: string | null
  detail: Record<string, unknown> | null
  subject?: DocSubject | null
}

/** What a document is (the API's `subject`): a ticket's terminal, time, total; a visit's member. */
export interface DocSubject {
  doc: string
  kind: string | null
  id: string | null
  terminalId?: string
  clientTime?: string
  total?: number
  cashier?: string
  status?: string
  name?: string
  entryAt?: string
}

/** GET /terminals/:id/uploads: one document the terminal sent. */
export interface Upload {
  doc: string
  source: 'log' | 'projection'
  changes: number | null
  bytes: number | null
  firstAt: string
  lastAt: string
  subject: DocSubject | null
}

/** Lists may come bare or wrapped (`{ rows }`, `{ products }`...): accept both. */
export function listOf<T>(v: unknown, ...keys: string[]): T[] {
  if (Array.isArray(v)) return v as T[]
  if (typeof v === 'object' && v !== null) {
    const r = v as Record<string, unknown>
    for (const k of [...keys, 'rows', 'items', 'data']) if (Array.isArray(r[k])) return r[k] as T[]
  }
  return []
}

export interface Ticket {
  id: string
  terminalId: string
  cashier: string
  clientTime: string
  total: number
  paymentMethod: string
  visitId: string | null
  bracelet: string | null
  status: string
  reasons: Array<{ code: string; message: string }>
  voided: boolean
}

export interface TicketDetail extends Ticket {
  doc: string
  lines: Array<{ lineId: string; productId: string; name: string; qty: number; unitPrice: number; total: number }>
  conflicts: Conflict[]
}
