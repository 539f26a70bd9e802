/**
 * Terminal tokens for the Tally relay under test: HS256 JWTs of the same shape as
 * apps/relay/src/auth.ts `signToken` (role, store, sub, exp), signed with the secret the
 * bench passes to the relay as JWT_SECRET.
 */
import { SignJWT } from 'jose'

export const BENCH_JWT_SECRET = 'tally-bench-secret-not-for-production-0123456789'

export async function terminalToken(secret: string, store: string, sub: string): Promise<string> {
  return new SignJWT({ role: 'terminal', store })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 24 * 3600)
    .sign(new TextEncoder().encode(secret))
}
