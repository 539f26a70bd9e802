import { describe, expect, it } from 'vitest'
import { centsText, parseCents } from './money-input.ts'

describe('money typed by a person', () => {
  it('[POS30] reads whole and fraction digits to integer cents, never through a float', () => {
    expect(parseCents('12')).toBe(1200)
    expect(parseCents('12,5')).toBe(1250)
    expect(parseCents('12.50')).toBe(1250)
    expect(parseCents('€ 0,07')).toBe(7)
    expect(parseCents('1.10')).toBe(110)
    expect(parseCents('')).toBe(0)
    expect(parseCents('1.234')).toBeNull()
    expect(parseCents('1,2,3')).toBeNull()
    expect(parseCents('abc')).toBeNull()
    expect(parseCents('-5')).toBeNull()
    expect(centsText(1250)).toBe('12.50')
    expect(centsText(7)).toBe('0.07')
  })
})
