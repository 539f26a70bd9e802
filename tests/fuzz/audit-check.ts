/**
 * The oracle for "every refusal has an audit row an admin of that store can see (or a
 * global operator log for anonymous ones)". A refusal the client observed (a close
 * code, an error frame, a 4xx answer) must be matched by its own new audit row:
 *  - a refusal of a caller with a valid token of store S: a row an admin of S reads from
 *    `GET /api/v1/audit` (websocket refusals: kind `refusal` with the refusal's code);
 *  - an anonymous one (no valid token): a row in the operator's log, today the `audit`
 *    table (no store, or the store the request named).
 */
import type { RelayHost } from './host.ts'

export interface Observed {
  /** The token's store, or null when the caller was anonymous (no valid token). */
  readonly store: string | null
  /** The refusal's error code; null for REST, where any row of the right store counts. */
  readonly code: string | null
  /** The hostile input, for the failure message. */
  readonly input: string
  /** Narrower than the code: the row must also satisfy this (a refused sale: its local id). */
  readonly match?: (row: { kind: string; code: string | null; detail: unknown }) => boolean
}

type ApiAuditRow = { id: number; store: string | null; kind: string; code: string | null; doc: string | null; detail: unknown }

async function adminView(host: RelayHost, store: string, afterId: number, kind: string | null): Promise<ApiAuditRow[]> {
  const token = await host.token({ role: 'admin', store, sub: `auditor-${store}` })
  const out: ApiAuditRow[] = []
  let before: number | undefined
  // Page backwards until the batch's first row.
  for (let page = 0; page < 20; page++) {
    const q = new URLSearchParams({ limit: '1000', ...(kind ? { kind } : {}), ...(before ? { before: String(before) } : {}) })
    const url = `${host.httpUrl}/api/v1/audit?${q}`
    const get = () => fetch(url, { headers: { authorization: `Bearer ${token}` } })
    // A hostile request before this one may have left its pooled keep-alive socket closed
    // by the relay; a read is safe to ask again, once, on a new connection.
    const r = await get().catch(get)
    if (r.status !== 200) throw new Error(`GET /api/v1/audit as admin of ${store} answered ${r.status}: ${await r.text()}`)
    const rows = (await r.json()) as ApiAuditRow[]
    const fresh = rows.filter((x) => x.id > afterId)
    out.push(...fresh)
    if (rows.length < 1000 || fresh.length < rows.length) break
    before = rows[rows.length - 1]?.id
  }
  return out
}

/**
 * For REST refusals (no fixed code): a row that records a refusal, not one of the rows
 * successful work writes (connects, logins that worked, stored sales, master-data changes
 * like `product.create`), so success beside a refusal cannot stand in for its row.
 */
const SUCCESS_CODES: ReadonlySet<string> = new Set(['ok', 'success', 'already_synced', 'conflict'])
function recordsRefusal(r: { kind: string; code: string | null }): boolean {
  if (r.kind === 'connect' || r.kind === 'disconnect') return false
  if (r.code === null) return r.kind === 'refusal'
  return !SUCCESS_CODES.has(r.code) && !r.code.includes('.')
}

/** The highest audit id now: a batch's rows are the ones after it. */
export function auditMark(host: RelayHost): Promise<number> {
  return host.auditMax()
}

/** Refusals without their own audit row, each described. */
export async function unaudited(host: RelayHost, afterId: number, observed: readonly Observed[]): Promise<string[]> {
  if (observed.length === 0) return []
  const all = await host.audit(afterId)
  const used = new Set<number>()
  const problems: string[] = []
  const views = new Map<string, ApiAuditRow[]>()
  // The most specific refusals claim their rows first: a generic REST refusal (any
  // refusal row of its store) must not take the row a refused sale is named in.
  const ordered = [...observed].sort((a, b) => Number(b.match !== undefined) - Number(a.match !== undefined))
  for (const o of ordered) {
    let pool: ReadonlyArray<{ id: number; store: string | null; kind: string; code: string | null; detail: unknown }>
    if (o.store === null) {
      // The operator log's rows first: an anonymous refusal must not take a row that a
      // store's own refusal is recorded in (a websocket one may name a store's document).
      pool = [...all].sort((a, b) => Number(a.store !== null) - Number(b.store !== null))
    } else {
      const key = `${o.store}\u0000${o.code === null ? '*' : 'refusal'}`
      let v = views.get(key)
      if (!v) {
        v = await adminView(host, o.store, afterId, o.code === null ? null : 'refusal')
        views.set(key, v)
      }
      pool = v
    }
    const row = pool.find((r) => !used.has(r.id) && (o.code === null ? recordsRefusal(r) : r.kind === 'refusal' && r.code === o.code) && (o.match?.(r) ?? true))
    if (row) {
      used.add(row.id)
      continue
    }
    const near = all.filter((r) => !used.has(r.id) && (o.code === null || r.code === o.code)).slice(0, 3)
    problems.push(
      `${o.code ?? 'REST refusal'} of ${o.store === null ? 'an anonymous caller' : `a store ${o.store} token`} for ${o.input}: ` +
        `no audit row ${o.store === null ? 'in the operator log' : `an admin of ${o.store} can see`}` +
        (near.length ? ` (rows with that code elsewhere: ${near.map((r) => `#${r.id} store=${r.store} doc=${JSON.stringify(r.doc)?.slice(0, 60)}`).join('; ')})` : ''),
    )
  }
  return problems
}
