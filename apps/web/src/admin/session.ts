/**
 * The back-office session: the JWT from POST /auth/login, kept in localStorage so a reload
 * stays signed in. The payload is read without verifying it (the relay verifies every
 * request); the UI only needs the expiry to sign out before the server starts refusing.
 */
export interface AdminUser {
  readonly id: string
  readonly email: string
  readonly role: string
  readonly store: string
}

export interface AdminSession {
  readonly token: string
  readonly user: AdminUser
  /** Expiry, seconds since the epoch; null when the token carries none. */
  readonly exp: number | null
}

const KEY = 'tally.admin.session'

function base64UrlDecode(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

/** The `exp` claim of a JWT, or null when absent or unreadable. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1]
  if (payload === undefined) return null
  try {
    const p = JSON.parse(base64UrlDecode(payload)) as Record<string, unknown>
    return typeof p.exp === 'number' ? p.exp : null
  } catch {
    return null
  }
}

export function isExpired(s: AdminSession, nowMs: number = Date.now()): boolean {
  return s.exp !== null && s.exp * 1000 <= nowMs
}

export function makeSession(token: string, user: AdminUser): AdminSession {
  return { token, user, exp: tokenExpiry(token) }
}

export function loadSession(storage: Storage = localStorage, nowMs: number = Date.now()): AdminSession | null {
  const raw = storage.getItem(KEY)
  if (raw === null) return null
  try {
    const v = JSON.parse(raw) as { token?: unknown; user?: unknown }
    if (typeof v.token !== 'string' || typeof v.user !== 'object' || v.user === null) return null
    const u = v.user as Record<string, unknown>
    const user: AdminUser = { id: String(u.id ?? ''), email: String(u.email ?? ''), role: String(u.role ?? ''), store: String(u.store ?? '') }
    const s = makeSession(v.token, user)
    return isExpired(s, nowMs) ? null : s
  } catch {
    return null
  }
}

export function saveSession(s: AdminSession, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify({ token: s.token, user: s.user }))
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(KEY)
}
