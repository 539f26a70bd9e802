/**
 * Stock allowances on the terminal (escrow). The server grants this terminal a share of
 * each scarce product's stock (published in the catalog document, so it is on the
 * device offline); the terminal counts its own sales under each grant, on the device,
 * and sells within what is left with no risk of oversell. Past it the store's policy
 * applies: warn (sell, say so), approval (a manager's approval, offline too) or block.
 *
 * The count is taken before the ticket is written and given back only if the checkout
 * fails, so a crash in between can only make the terminal more careful, never let it
 * sell a unit twice. Online, the terminal tops its allowances up when it connects and
 * whenever one runs low, reporting what it sold; it gives back what it has not sold at
 * shift end (`release`), the only way a share returns (the server never takes back a
 * share a terminal may be using offline).
 */
import type * as Y from 'yjs'
import {
  allowanceGrantSchema,
  policyOf,
  readAllowancePolicy,
  readGrant,
  readWanted,
  readStoreSettings,
  uuidv7,
  type AllowanceApproval,
  type AllowanceGrant,
  type AllowanceMark,
  type AllowancePolicy,
  type CartLine,
} from '@tally/schema'
import type { Approval, RequestApproval } from './approval.ts'
import type { LocalStore } from './local-store.ts'

/** Ask for more once this many units or fewer are left (the server's LOW_WATER). */
export const REFILL_AT = 1
/** Online and no scarce sale for this long: give every unsold unit back (bench/README.md, escrow). */
export const IDLE_RELEASE_MS = 5 * 60_000
/**
 * Units of each share an idle terminal keeps for an offline spell. With shares wanted back
 * on demand (allowanceWanted) keeping one measured best (bench escrow: 2.9 % asks with
 * stock against 6.4 % keeping none).
 */
export const IDLE_KEEP = 1
/** Another terminal wants a product back: this one answers when it sold nothing scarce for this long. */
export const WANTED_QUIET_MS = 60_000
/** Automatic top-up requests at most this often (a forced one, e.g. at reconnect, goes at once). */
export const REFILL_EVERY_MS = 5_000

export interface Left {
  productId: string
  grant: AllowanceGrant | null
  /** Units this terminal may still sell within its allowance. */
  remaining: number
}

export type Gate =
  | {
      ok: true
      marks: Map<string, AllowanceMark>
      beyond: Array<{ productId: string; name: string; qty: number }>
      /** Managers' approvals of units past the allowance, for the ticket's `approvals` (and so the audit log). */
      approvals: Approval[]
      undo: () => void
    }
  | { ok: false; error: 'allowance_blocked' | 'allowance_declined'; productId: string; name: string; remaining: number }

export interface AllowanceApi {
  post(path: '/allowances/request' | '/allowances/release', body: unknown): Promise<unknown>
}

/** REST through fetch with the terminal's token (same origin in the browser; `base` in Node). */
export function fetchAllowanceApi(base: string, token: () => string, fetchFn: typeof fetch = fetch): AllowanceApi {
  return {
    async post(path, body) {
      const res = await fetchFn(`${base}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (!res.ok) throw new Error(`${path}: ${res.status}`)
      return res.json()
    },
  }
}

export class AllowanceBook {
  private inFlight: Promise<void> | null = null
  private lastAsk = -Infinity
  api: AllowanceApi | null = null
  /** Gave its shares back while idle: no automatic asks until the next sale wants some. */
  parked = false

  constructor(
    private readonly catalog: () => Y.Doc | null,
    private readonly terminalId: string,
    private readonly local: LocalStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Units this device sold under each grant id (every sale, within or beyond). */
  private soldMap(): Record<string, number> {
    return this.local.get<Record<string, number>>('allowance.sold', {})
  }
  sold(grantId: string): number {
    const n = this.soldMap()[grantId]
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 0
  }
  private addSold(grantId: string, n: number): void {
    const m = this.soldMap()
    m[grantId] = Math.max(0, (m[grantId] ?? 0) + n)
    this.local.set('allowance.sold', m)
  }

  /**
   * The store's allowance policy: from its published settings (store-settings, updated on
   * every save), else as the last grant answer published it.
   */
  policy(): AllowancePolicy | null {
    const doc = this.catalog()
    if (!doc) return null
    const published = readStoreSettings(doc)
    const p = published.version > 0 ? policyOf(published.allowances) : readAllowancePolicy(doc)
    return p && p.enabled ? p : null
  }

  isScarce(productId: string): boolean {
    return this.policy()?.scarce.includes(productId) ?? false
  }

  /**
   * This terminal's grant of a product: the catalog's, or the last REST answer's when that
   * is newer (it is committed; the catalog brings the same grant a moment later).
   */
  grant(productId: string): AllowanceGrant | null {
    const doc = this.catalog()
    const published = doc ? (readGrant(doc, this.terminalId, productId) ?? null) : null
    const answered = this.local.get<Record<string, AllowanceGrant>>('allowance.answered', {})[productId] ?? null
    if (answered === null || typeof answered.granted !== 'number' || typeof answered.at !== 'string') return published
    if (published === null) return answered
    return answered.at > published.at ? answered : published
  }

  private remember(grants: unknown): void {
    if (!Array.isArray(grants)) return
    const m = this.local.get<Record<string, AllowanceGrant>>('allowance.answered', {})
    for (const g of grants) {
      const r = allowanceGrantSchema.safeParse(g)
      if (r.success && r.data.terminalId === this.terminalId) m[r.data.productId] = r.data
    }
    this.local.set('allowance.answered', m)
  }

  /** What is left of this terminal's allowance of a scarce product, or null when it is not scarce. */
  left(productId: string): Left | null {
    if (!this.isScarce(productId)) return null
    const grant = this.grant(productId)
    return { productId, grant, remaining: grant ? Math.max(0, grant.granted - this.sold(grant.grantId)) : 0 }
  }

  /**
   * Decide a checkout's scarce lines: marks for the ticket, and the policy's answer for
   * units past the allowance. On success the units are already counted (undo() gives
   * them back if the checkout then fails).
   */
  async gate(lines: readonly CartLine[], approve: RequestApproval | null): Promise<Gate> {
    const policy = this.policy()
    const marks = new Map<string, AllowanceMark>()
    const beyond: Array<{ productId: string; name: string; qty: number }> = []
    if (policy === null) return { ok: true, marks, beyond, approvals: [], undo: () => {} }
    const left = new Map<string, number>()
    const plan: Array<{ line: CartLine; grant: AllowanceGrant | null; within: number }> = []
    for (const line of lines) {
      if (line.qty <= 0 || !policy.scarce.includes(line.productId)) continue
      const l = this.left(line.productId) as Left
      const room = left.get(line.productId) ?? l.remaining
      const within = Math.min(room, line.qty)
      left.set(line.productId, room - within)
      plan.push({ line, grant: l.grant, within })
    }
    const approvals = new Map<string, AllowanceApproval>()
    const given: Approval[] = []
    for (const p of plan) {
      const over = p.line.qty - p.within
      if (over === 0) continue
      beyond.push({ productId: p.line.productId, name: p.line.name, qty: over })
      if (policy.onExceeded === 'block') return { ok: false, error: 'allowance_blocked', productId: p.line.productId, name: p.line.name, remaining: p.within }
      if (policy.onExceeded === 'approval') {
        const detail = `${over} × ${p.line.name} (${p.line.productId}) past this terminal's allowance (${p.within} within)`
        const a = approve ? await approve({ action: 'allowance', detail }) : null
        if (a === null) return { ok: false, error: 'allowance_declined', productId: p.line.productId, name: p.line.name, remaining: p.within }
        given.push(a)
        approvals.set(p.line.lineId, { id: uuidv7(), by: a.staffId, name: a.staffName, at: new Date(a.at).toISOString() })
      }
    }
    const counted: Array<[string, number]> = []
    for (const p of plan) {
      const a = approvals.get(p.line.lineId)
      marks.set(p.line.lineId, { grantId: p.grant?.grantId ?? null, version: p.grant?.version ?? 0, within: p.within, ...(a ? { approval: a } : {}) })
      if (p.grant) {
        this.addSold(p.grant.grantId, p.line.qty)
        counted.push([p.grant.grantId, p.line.qty])
      }
    }
    return { ok: true, marks, beyond, approvals: given, undo: () => counted.forEach(([g, n]) => this.addSold(g, -n)) }
  }

  /** My own count per grant, for the server (it holds the difference as outstanding). */
  private reports(): Array<{ productId: string; grantId: string; sold: number }> {
    const policy = this.policy()
    const doc = this.catalog()
    if (!policy || !doc) return []
    return policy.scarce.flatMap((productId) => {
      const g = this.grant(productId)
      return g ? [{ productId, grantId: g.grantId, sold: this.sold(g.grantId) }] : []
    })
  }

  /** Does any scarce product have REFILL_AT or fewer units left (or no grant yet)? */
  low(): boolean {
    const policy = this.policy()
    return policy !== null && policy.scarce.some((id) => (this.left(id)?.remaining ?? 0) <= REFILL_AT)
  }

  /**
   * Online: ask for a top-up (one request at a time). The answer arrives through the
   * catalog document too; failures are quiet (offline, the terminal sells within what
   * it has).
   */
  refill(force = false): Promise<void> {
    if (this.api === null) return Promise.resolve()
    if (this.inFlight) return this.inFlight
    // Automatic asks (catalog changes, after a sale) at most every REFILL_EVERY_MS.
    if (!force && (this.parked || this.now() - this.lastAsk < REFILL_EVERY_MS)) return Promise.resolve()
    this.parked = false
    this.lastAsk = this.now()
    const api = this.api
    this.inFlight = api
      .post('/allowances/request', { sold: this.reports() })
      .then((r) => this.remember((r as { grants?: unknown } | null)?.grants), () => undefined)
      .finally(() => {
        this.inFlight = null
      })
    return this.inFlight
  }

  /**
   * Give back the units not sold, keeping `keep` of each (0 at shift end; a unit or two
   * when idle online, so an offline spell still finds some). Throws when the server
   * cannot be reached: nothing is given back then, the terminal keeps its allowance.
   */
  async release(keep = 0): Promise<void> {
    if (this.api === null) throw new Error('no server to release allowances to')
    const r = await this.api.post('/allowances/release', { sold: this.reports(), keep })
    this.remember((r as { grants?: unknown } | null)?.grants)
    this.parked = true
  }

  /**
   * Scarce products another terminal asked for (the catalog's `allowanceWanted`) since
   * this one last answered, of which it holds a unit or more.
   */
  wantedByOthers(): string[] {
    const doc = this.catalog()
    const policy = this.policy()
    if (!doc || !policy) return []
    const since = this.local.get<string>('allowance.wantedAnswered', '')
    return [...readWanted(doc)]
      .filter(([id, w]) => w.by !== this.terminalId && w.at > since && policy.scarce.includes(id) && (this.left(id)?.remaining ?? 0) > 0)
      .map(([id]) => id)
  }

  /**
   * Another terminal ran out while this one holds units it is not selling: give back
   * what it has not sold (the caller decides this terminal is quiet enough). False when nothing was
   * wanted or the server could not be reached (then it keeps its allowance).
   */
  async answerWanted(): Promise<boolean> {
    const wanted = this.wantedByOthers()
    const doc = this.catalog()
    if (this.api === null || wanted.length === 0 || !doc) return false
    // The requests' own times (the server's clock): this terminal's clock plays no part.
    const all = readWanted(doc)
    const at = wanted.map((id) => all.get(id)?.at ?? '').reduce((a, b) => (a > b ? a : b), '')
    try {
      await this.release(0)
    } catch {
      return false
    }
    this.local.set('allowance.wantedAnswered', at)
    return true
  }

  /** Units of these lines' scarce products past what is left (0: all within). */
  shortOf(lines: readonly CartLine[]): number {
    const want = new Map<string, number>()
    for (const l of lines) if (l.qty > 0 && this.isScarce(l.productId)) want.set(l.productId, (want.get(l.productId) ?? 0) + l.qty)
    let short = 0
    for (const [id, n] of want) short += Math.max(0, n - (this.left(id)?.remaining ?? 0))
    return short
  }
}
