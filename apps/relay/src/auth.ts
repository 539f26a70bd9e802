/**
 * Tokens: HS256 JWTs with role, store scope and expiry (jose). Verification returns a
 * typed result rather than throwing: a bad token is untrusted input, not a bug.
 */
import { errors, jwtVerify, SignJWT } from 'jose'
import { ErrorCode, isStoreId, Role } from '@tally/schema'

export interface Claims {
  readonly role: Role
  readonly store: string
  /** Terminal id, user id or service name. */
  readonly sub: string
  /** Expiry, seconds since the epoch. */
  readonly exp: number
}

export type AuthResult = { ok: true; claims: Claims } | { ok: false; code: ErrorCode; reason: string }

/**
 * The HMAC key, imported once per secret: given raw bytes, jose imports a key on every
 * call, which was most of a connection's setup cost when 20 terminals reconnect at once.
 */
const keys = new Map<string, Promise<CryptoKey>>()
function key(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret)
  if (!k) {
    k = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keys.set(secret, k)
  }
  return k
}
const ROLES: ReadonlySet<string> = new Set(Object.values(Role))

export async function signToken(
  secret: string,
  opts: { role: Role; store: string; sub: string; ttlSeconds?: number },
): Promise<string> {
  return new SignJWT({ role: opts.role, store: opts.store })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(opts.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.ttlSeconds ?? 30 * 24 * 3600))
    .sign(await key(secret))
}

/**
 * Tokens already verified, by secret and exact token text: a stock client opens one
 * socket per document, so a terminal resuming 50 tickets presents the same token 50
 * times. Expiry is still checked on every use; a bounded map, oldest entry out first.
 */
const verified = new Map<string, Promise<AuthResult>>()
const VERIFIED_MAX = 10_000

export async function verifyToken(secret: string, token: string | null | undefined): Promise<AuthResult> {
  if (!token) return { ok: false, code: ErrorCode.missingToken, reason: 'a token is required' }
  const cacheKey = `${secret.length}:${secret}\u0000${token}`
  // The pending verification is shared too: 1,000 sockets connecting at once wait for one.
  let pending = verified.get(cacheKey)
  if (!pending) {
    pending = verifyUncached(secret, token)
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string)
    verified.set(cacheKey, pending)
    void pending.then((r) => {
      if (!r.ok) verified.delete(cacheKey)
    })
  }
  const result = await pending
  if (result.ok && isExpired(result.claims)) return { ok: false, code: ErrorCode.tokenExpired, reason: 'token expired: pair the terminal again' }
  return result
}

async function verifyUncached(secret: string, token: string): Promise<AuthResult> {
  try {
    const { payload } = await jwtVerify(token, await key(secret), { algorithms: ['HS256'] })
    const { role, store, sub, exp } = payload
    if (typeof role !== 'string' || !ROLES.has(role)) return { ok: false, code: ErrorCode.badToken, reason: 'token has no valid role' }
    if (typeof store !== 'string' || !isStoreId(store)) return { ok: false, code: ErrorCode.badToken, reason: 'token has no valid store' }
    if (typeof sub !== 'string' || sub.length === 0) return { ok: false, code: ErrorCode.badToken, reason: 'token has no subject' }
    if (typeof exp !== 'number') return { ok: false, code: ErrorCode.badToken, reason: 'token has no expiry' }
    return { ok: true, claims: { role: role as Role, store, sub, exp } }
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, code: ErrorCode.tokenExpired, reason: 'token expired: pair the terminal again' }
    return { ok: false, code: ErrorCode.badToken, reason: 'token signature or format is invalid' }
  }
}

export function isExpired(claims: Claims, nowMs = Date.now()): boolean {
  return claims.exp * 1000 <= nowMs
}

export function actorOf(claims: Claims): string {
  return `${claims.role}:${claims.sub}`
}
