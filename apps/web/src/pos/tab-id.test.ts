import { describe, expect, it } from 'vitest'
import { isUuid, uuidv7 } from '@tally/schema'
import { sha1Hex, visitTabId } from './tab-id.ts'

describe('visit tab ids', () => {
  it('[POS4] sha1 matches the FIPS 180-1 test vectors', () => {
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
    expect(sha1Hex('a'.repeat(1000))).toBe('291e9a6c66994949b57ba5e650361e98fc36b1ba')
  })

  it('[POS4] the same visit and index give the same UUIDv7-shaped id on any device', () => {
    const visit = uuidv7()
    const a = visitTabId(visit, 0)
    expect(visitTabId(visit, 0)).toBe(a)
    expect(isUuid(a)).toBe(true)
    expect(a[14]).toBe('7')
    expect('89ab').toContain(a[19])
    // The visit's timestamp is kept, so tab ids sort by time like other UUIDv7s.
    expect(a.slice(0, 13)).toBe(visit.slice(0, 13))
  })

  it('[POS4] different indexes and visits give different ids', () => {
    const v1 = uuidv7()
    const v2 = uuidv7()
    const ids = new Set<string>()
    for (let n = 0; n < 200; n++) {
      ids.add(visitTabId(v1, n))
      ids.add(visitTabId(v2, n))
    }
    expect(ids.size).toBe(400)
  })

  it('[POS4] a visit id that is not a UUID still gives a valid id', () => {
    expect(isUuid(visitTabId('visit-42', 3))).toBe(true)
  })
})
