import { describe, expect, it } from 'vitest'
import { createLoginThrottle, DEFAULT_LOGIN_THROTTLE } from './login-throttle.ts'

const T0 = 1_800_000_000_000

describe('login throttle', () => {
  it('[API21] after 5 free failures of one account from one address each further one doubles the wait, capped at 15 minutes', () => {
    const t = createLoginThrottle()
    let now = T0
    for (let i = 0; i < 5; i++) {
      expect(t.check('a@x', '10.0.0.9', now).ok).toBe(true)
      t.failed('a@x', '10.0.0.9', now)
    }
    expect(t.check('a@x', '10.0.0.9', now).ok).toBe(true)
    const waits: number[] = []
    for (let i = 0; i < 14; i++) {
      t.failed('a@x', '10.0.0.9', now)
      const r = t.check('a@x', '10.0.0.9', now)
      if (r.ok) throw new Error('expected a wait')
      waits.push(r.retryAfterMs)
      now += r.retryAfterMs
      expect(t.check('a@x', '10.0.0.9', now).ok).toBe(true)
    }
    expect(waits.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000])
    expect(Math.max(...waits)).toBe(DEFAULT_LOGIN_THROTTLE.maxDelayMs)
  })

  it('[API21] a wait is reported as "first" once, so it is audited once however many attempts hit it', () => {
    const t = createLoginThrottle()
    for (let i = 0; i < 6; i++) t.failed('a@x', 'h', T0)
    const first = t.check('a@x', 'h', T0)
    const again = t.check('a@x', 'h', T0 + 10)
    expect(first.ok === false && first.first).toBe(true)
    expect(again.ok === false && again.first).toBe(false)
  })

  it('[API21] spraying many accounts from one address locks that address, not the accounts elsewhere', () => {
    const t = createLoginThrottle()
    for (let i = 0; i < 21; i++) t.failed(`user${i}@x`, '6.6.6.6', T0)
    const r = t.check('someone-else@x', '6.6.6.6', T0)
    expect(r.ok === false && r.scope).toBe('address')
    expect(t.check('user1@x', '10.0.0.1', T0).ok).toBe(true)
  })

  it('[API21] a guess spread over many addresses locks strangers out of the account, never the address the admin logged in from', () => {
    const t = createLoginThrottle()
    t.succeeded('admin@x', '10.0.0.1', T0)
    for (let i = 0; i < 200; i++) {
      const now = T0 + i * 60_000
      if (t.check('admin@x', `7.7.${i >> 8}.${i & 255}`, now).ok) t.failed('admin@x', `7.7.${i >> 8}.${i & 255}`, now)
    }
    const late = T0 + 200 * 60_000
    const stranger = t.check('admin@x', '8.8.8.8', late)
    expect(stranger.ok === false && stranger.scope).toBe('account')
    if (!stranger.ok) expect(stranger.retryAfterMs).toBeLessThanOrEqual(DEFAULT_LOGIN_THROTTLE.maxDelayMs)
    expect(t.check('admin@x', '10.0.0.1', late).ok).toBe(true)
  })

  it('[API21] a good login clears its own account-and-address counter; failures are forgotten after a quiet day', () => {
    const t = createLoginThrottle()
    for (let i = 0; i < 6; i++) t.failed('a@x', 'h', T0)
    expect(t.check('a@x', 'h', T0).ok).toBe(false)
    t.succeeded('a@x', 'h', T0 + 2_000)
    for (let i = 0; i < 5; i++) t.failed('a@x', 'h', T0 + 2_000)
    expect(t.check('a@x', 'h', T0 + 2_000).ok).toBe(true)
    for (let i = 0; i < 6; i++) t.failed('b@x', 'h2', T0)
    expect(t.check('b@x', 'h2', T0 + DEFAULT_LOGIN_THROTTLE.forgetMs + 1).ok).toBe(true)
  })
})
