import { describe, expect, it } from 'vitest'
import { uuidv7 } from './ids.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidv7', () => {
  it('[SCH5] makes RFC 9562 version-7 ids, unique across many refills of the random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    for (const id of ids) expect(id).toMatch(V7)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('[SCH5] sorts ids in the order they were made, even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    const sorted = [...ids].sort()
    expect(sorted).toEqual(ids)
  })

  it('[SCH5] carries the current time in its first 48 bits', () => {
    const before = Date.now()
    const id = uuidv7()
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16)
    // The sequence may have carried the timestamp a millisecond or so ahead, never behind.
    expect(ms).toBeGreaterThanOrEqual(before)
    expect(ms).toBeLessThan(Date.now() + 1_000)
  })
})
