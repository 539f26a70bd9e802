/**
 * Document names: `{storeId}/{kind}/{id}` for per-entity documents and
 * `{storeId}/{kind}` for the two per-store singletons (catalog, roster).
 * Anything else is refused, so a name can be trusted once parsed.
 */
export const DocKind = {
  catalog: 'catalog',
  roster: 'roster',
  cart: 'cart',
  ticket: 'ticket',
  visit: 'visit',
} as const
export type DocKind = (typeof DocKind)[keyof typeof DocKind]

export const SINGLETON_KINDS: ReadonlySet<DocKind> = new Set([DocKind.catalog, DocKind.roster])
const ENTITY_KINDS: ReadonlySet<string> = new Set([DocKind.cart, DocKind.ticket, DocKind.visit])

export interface DocName {
  readonly storeId: string
  readonly kind: DocKind
  /** Entity id (UUID); undefined for singletons. */
  readonly id: string | undefined
}

const STORE_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isStoreId(s: string): boolean {
  return STORE_RE.test(s)
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s)
}

/**
 * An outbox update id: the client makes UUIDv7s; anything of 1-128 printable ASCII
 * characters is accepted. Control characters (NUL above all: Postgres text cannot hold
 * it) and unbounded lengths are refused where the id enters, not where it is stored.
 */
const UPDATE_ID_RE = /^[\x21-\x7e]{1,128}$/

export function isUpdateId(s: string): boolean {
  return UPDATE_ID_RE.test(s)
}

/**
 * The store a document name starts with, when that is a valid store id, else null: for
 * attributing a refusal of a name that did not parse (or came with no valid token) to
 * the store it targeted.
 */
export function storeNamedIn(name: string | null | undefined): string | null {
  if (!name) return null
  const slash = name.indexOf('/')
  const first = slash < 0 ? name : name.slice(0, slash)
  return isStoreId(first) ? first : null
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string }

export function parseDocName(name: string): ParseResult<DocName> {
  if (name.length > 200) return { ok: false, error: 'document name too long' }
  const parts = name.split('/')
  const [storeId, kind, id] = parts
  if (storeId === undefined || !isStoreId(storeId)) return { ok: false, error: `bad store id in "${name}"` }
  if (kind === undefined) return { ok: false, error: `missing kind in "${name}"` }
  if (SINGLETON_KINDS.has(kind as DocKind)) {
    if (parts.length !== 2) return { ok: false, error: `${kind} is one per store: "${storeId}/${kind}"` }
    return { ok: true, value: { storeId, kind: kind as DocKind, id: undefined } }
  }
  if (!ENTITY_KINDS.has(kind)) return { ok: false, error: `unknown document kind "${kind}"` }
  if (parts.length !== 3 || id === undefined || !isUuid(id)) {
    return { ok: false, error: `${kind} documents are named "${storeId}/${kind}/{uuid}"` }
  }
  return { ok: true, value: { storeId, kind: kind as DocKind, id } }
}

export function formatDocName(storeId: string, kind: DocKind, id?: string): string {
  if (SINGLETON_KINDS.has(kind)) return `${storeId}/${kind}`
  if (id === undefined) throw new Error(`${kind} documents need an id`)
  return `${storeId}/${kind}/${id}`
}

export const catalogDocName = (storeId: string): string => formatDocName(storeId, DocKind.catalog)
export const rosterDocName = (storeId: string): string => formatDocName(storeId, DocKind.roster)
export const cartDocName = (storeId: string, id: string): string => formatDocName(storeId, DocKind.cart, id)
export const ticketDocName = (storeId: string, id: string): string => formatDocName(storeId, DocKind.ticket, id)
export const visitDocName = (storeId: string, id: string): string => formatDocName(storeId, DocKind.visit, id)
