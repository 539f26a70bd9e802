/** Token verification is shared between sockets presenting the same token; expiry is not. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode, Role } from '@tally/schema'
import { signToken, verifyToken } from './auth.ts'

const SECRET = 'auth-test-secret'

describe('verifyToken', () => {
  afterEach(() => vi.useRealTimers())

  it('[RLY4] a token verified before is refused once it expires', async () => {
    const token = await signToken(SECRET, { role: Role.terminal, store: 'store1', sub: 'bar-1', ttlSeconds: 60 })
    const first = await Promise.all([verifyToken(SECRET, token), verifyToken(SECRET, token)])
    expect(first.map((r) => r.ok)).toEqual([true, true])
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] })
    const later = await verifyToken(SECRET, token)
    expect(later).toMatchObject({ ok: false, code: ErrorCode.tokenExpired })
  })

  it('[RLY4] the same token text under another secret is not taken from the cache', async () => {
    const token = await signToken(SECRET, { role: Role.terminal, store: 'store1', sub: 'bar-2' })
    expect((await verifyToken(SECRET, token)).ok).toBe(true)
    expect(await verifyToken('another-secret', token)).toMatchObject({ ok: false, code: ErrorCode.badToken })
  })
})
