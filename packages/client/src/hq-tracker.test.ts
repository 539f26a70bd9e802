/** The "safe at HQ" bookkeeping behind a store hub (HUB3, HUB14). */
import { describe, expect, it } from 'vitest'
import { HqTracker } from './hq-tracker.ts'

describe('HqTracker', () => {
  it('[HUB3] behind a hub an ack waits for central; an hq frame releases exactly the ids it names', () => {
    const t = new HqTracker()
    t.hub = 'bar1-hub'
    t.acked('s/cart/a', ['1', '2'])
    t.acked('s/ticket/b', ['3'])
    expect(t.size).toBe(3)
    expect(t.held('s/cart/a', ['2', 'unknown'])).toBe(true)
    expect(t.size).toBe(2)
    expect(t.held('s/cart/a', ['2'])).toBe(false)
    t.held('s/cart/a', ['1'])
    t.held('s/ticket/b', ['3'])
    expect(t.size).toBe(0)
  })

  it('[HUB3] an ack from a relay that is not a hub is itself at HQ', () => {
    const t = new HqTracker()
    t.acked('s/cart/a', ['1'])
    expect(t.size).toBe(0)
  })

  it('[HUB14] after a reconnect it asks about what still waits, per document, in chunks', () => {
    const t = new HqTracker()
    t.hub = 'h'
    t.acked('s/cart/a', Array.from({ length: 1200 }, (_, i) => `id${i}`))
    t.acked('s/cart/b', ['x'])
    t.reset()
    expect(t.hub).toBeNull()
    expect(t.size).toBe(1201)
    const qs = t.questions(500)
    expect(qs.map((q) => [q.doc, q.updateIds.length])).toEqual([
      ['s/cart/a', 500],
      ['s/cart/a', 500],
      ['s/cart/a', 200],
      ['s/cart/b', 1],
    ])
  })
})
