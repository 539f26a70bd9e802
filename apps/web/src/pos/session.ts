/**
 * The terminal's pairing: a terminal token (JWT) pasted or scanned once and kept on the
 * device. The payload is decoded WITHOUT verifying the signature: the relay verifies it;
 * the terminal only needs the store and terminal id to name documents and show who it is.
 */
export interface TerminalSession {
  readonly token: string
  readonly store: string
  /** Terminal id (the token's `sub`). */
  readonly terminalId: string
  readonly role: string
  /** Expiry, seconds since the epoch; null when the token has none. */
  readonly exp: number | null
  /** ws(s):// of the preferred relay when the pairing named one; absent: this page's own origin. */
  readonly url?: string
  /** Relays to fail over to (central behind a store hub), each with the terminal's token there. */
  readonly fallbacks?: readonly RelayAddress[]
}

/** A relay and the terminal's token there: the hub's and central's are not the same token. */
export interface RelayAddress {
  readonly url: string
  readonly token: string
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string }

const TOKEN_KEY = 'tally.token'
/** The preferred relay's address and the fallbacks (JSON), when the pairing gave them. */
const RELAYS_KEY = 'tally.relays'

function base64UrlDecode(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')
  const bin = atob(b64)
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

export function decodeTerminalToken(raw: string): Decoded<TerminalSession> {
  const token = raw.trim()
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return { ok: false, error: 'not_a_token' }
  let payload: unknown
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]))
  } catch {
    return { ok: false, error: 'not_a_token' }
  }
  if (typeof payload !== 'object' || payload === null) return { ok: false, error: 'not_a_token' }
  const p = payload as Record<string, unknown>
  if (typeof p.store !== 'string' || p.store === '') return { ok: false, error: 'no_store' }
  if (typeof p.sub !== 'string' || p.sub === '') return { ok: false, error: 'no_terminal' }
  const role = typeof p.role === 'string' ? p.role : ''
  if (role !== 'terminal' && role !== 'admin') return { ok: false, error: 'wrong_role' }
  const exp = typeof p.exp === 'number' ? p.exp : null
  return { ok: true, value: { token, store: p.store, terminalId: p.sub, role, exp } }
}

export function isExpired(s: TerminalSession, nowMs: number = Date.now()): boolean {
  return s.exp !== null && s.exp * 1000 <= nowMs
}

export function loadSession(storage: Storage = localStorage): TerminalSession | null {
  const raw = storage.getItem(TOKEN_KEY)
  if (raw === null) return null
  const r = decodeTerminalToken(raw)
  if (!r.ok) return null
  let relays: { url?: unknown; fallbacks?: unknown } = {}
  try {
    relays = JSON.parse(storage.getItem(RELAYS_KEY) ?? '{}') as typeof relays
  } catch {
    relays = {}
  }
  const fallbacks = Array.isArray(relays.fallbacks)
    ? (relays.fallbacks as unknown[]).filter((f): f is RelayAddress => typeof f === 'object' && f !== null && typeof (f as RelayAddress).url === 'string' && typeof (f as RelayAddress).token === 'string')
    : []
  return { ...r.value, ...(typeof relays.url === 'string' ? { url: relays.url } : {}), ...(fallbacks.length > 0 ? { fallbacks } : {}) }
}

export function saveSession(s: TerminalSession, storage: Storage = localStorage): void {
  storage.setItem(TOKEN_KEY, s.token)
  if (s.url !== undefined || (s.fallbacks?.length ?? 0) > 0) storage.setItem(RELAYS_KEY, JSON.stringify({ url: s.url, fallbacks: s.fallbacks ?? [] }))
  else storage.removeItem(RELAYS_KEY)
}

export function forgetSession(storage: Storage = localStorage): void {
  storage.removeItem(TOKEN_KEY)
  storage.removeItem(RELAYS_KEY)
}

/** An address as typed: ws(s):// kept, http(s):// turned into ws(s)://, any path dropped. */
export function relayUrl(raw: string): string | null {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return null
  }
  const scheme = { 'ws:': 'ws', 'wss:': 'wss', 'http:': 'ws', 'https:': 'wss' }[u.protocol]
  if (scheme === undefined || u.host === '') return null
  return `${scheme}://${u.host}`
}

/**
 * A pairing code: a token alone (this page's relay), or addresses each followed by the
 * terminal's token there, preferred first, separated by spaces or new lines:
 *
 *     wss://192.168.1.10:8787 eyJ…(hub token)
 *     wss://central.example.com eyJ…(central token)
 *
 * Every token must be for the same store and the same terminal (it is one device, one
 * set of documents); a token without an address before it means this page's relay.
 */
export function parsePairing(raw: string): Decoded<TerminalSession> {
  const words = raw.trim().split(/\s+/).filter((w) => w !== '')
  if (words.length === 0) return { ok: false, error: 'not_a_token' }
  const pairs: Array<{ url: string | null; session: TerminalSession }> = []
  let pendingUrl: string | null = null
  for (const w of words) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) {
      if (pendingUrl !== null) return { ok: false, error: 'address_without_token' }
      pendingUrl = relayUrl(w)
      if (pendingUrl === null) return { ok: false, error: 'bad_address' }
      continue
    }
    const d = decodeTerminalToken(w)
    if (!d.ok) return d
    pairs.push({ url: pendingUrl, session: d.value })
    pendingUrl = null
  }
  if (pendingUrl !== null) return { ok: false, error: 'address_without_token' }
  const [first, ...rest] = pairs
  if (first === undefined) return { ok: false, error: 'not_a_token' }
  for (const p of rest) {
    if (p.url === null) return { ok: false, error: 'address_without_token' }
    if (p.session.store !== first.session.store || p.session.terminalId !== first.session.terminalId) return { ok: false, error: 'mixed_tokens' }
  }
  // The earliest expiry decides when the terminal asks to be paired again.
  const exps = pairs.map((p) => p.session.exp).filter((e): e is number => e !== null)
  const fallbacks = rest.map((p) => ({ url: p.url as string, token: p.session.token }))
  return {
    ok: true,
    value: {
      ...first.session,
      exp: exps.length > 0 ? Math.min(...exps) : null,
      ...(first.url !== null ? { url: first.url } : {}),
      ...(fallbacks.length > 0 ? { fallbacks } : {}),
    },
  }
}

/**
 * A token handed over in the address (`/pos?token=...`, as printed by `npm start`) is
 * taken once and removed from the address bar so it does not linger in history.
 */
export function takeTokenFromUrl(loc: Location = location, hist: History = history): string | null {
  const url = new URL(loc.href)
  const token = url.searchParams.get('token')
  if (token === null) return null
  url.searchParams.delete('token')
  hist.replaceState(null, '', url.pathname + url.search + url.hash)
  return token
}

/** The relays a session syncs with, preferred first; `pageRelay` when the pairing named no address. */
export function relaysOf(s: TerminalSession, pageRelay: string): RelayAddress[] {
  return [{ url: s.url ?? pageRelay, token: s.token }, ...(s.fallbacks ?? [])]
}
