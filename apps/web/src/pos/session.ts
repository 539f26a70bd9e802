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
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string }

const TOKEN_KEY = 'tally.token'

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
  return r.ok ? r.value : null
}

export function saveSession(s: TerminalSession, storage: Storage = localStorage): void {
  storage.setItem(TOKEN_KEY, s.token)
}

export function forgetSession(storage: Storage = localStorage): void {
  storage.removeItem(TOKEN_KEY)
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
