import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts'

describe('backoff', () => {
  it('[CLI7] grows exponentially from minMs, is capped at maxMs, jittered within [base/2, base]', () => {
    const lo = () => 0
    const hi = () => 1
    expect(backoffDelay(0, {}, hi)).toBe(DEFAULT_BACKOFF.minMs)
    expect(backoffDelay(1, {}, hi)).toBe(500)
    expect(backoffDelay(2, {}, hi)).toBe(1000)
    expect(backoffDelay(4, {}, hi)).toBe(4000)
    expect(backoffDelay(4, {}, lo)).toBe(2000)
    expect(backoffDelay(50, {}, hi)).toBe(DEFAULT_BACKOFF.maxMs)
    expect(backoffDelay(3, { minMs: 10, maxMs: 25 }, hi)).toBe(25)
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(5)))
    expect(seen.size).toBeGreaterThan(1) // jitter: terminals do not reconnect in lockstep
    for (const d of seen) expect(d >= 4000 && d <= 8000).toBe(true)
  })
})
