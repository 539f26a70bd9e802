import { describe, expect, it } from 'vitest'
import { uuidv7 } from '@tally/schema'
import { resolveTabCode, shortCode } from './short-code.ts'

describe('short tab codes', () => {
  const a = '019a0000-0000-7000-8000-00000000507a'
  const b = '019a0000-0000-7000-8000-000000005073'
  const c = '019a0000-0000-7000-8000-000000015073'
  it('[POS23] "#5073" or "5073" joins the one known open tab ending with it', () => {
    expect(shortCode(b)).toBe('#5073')
    expect(resolveTabCode('#5073', [a, b])).toEqual({ ok: true, cartId: b })
    expect(resolveTabCode(' 5073 ', [a, b])).toEqual({ ok: true, cartId: b })
    expect(resolveTabCode('#507A', [a, b])).toEqual({ ok: true, cartId: a })
  })
  it('[POS23] an ambiguous or unknown code joins nothing and says which it was', () => {
    expect(resolveTabCode('#5073', [b, c])).toMatchObject({ ok: false, error: 'ambiguous', code: '#5073', matches: 2 })
    expect(resolveTabCode('#5073', [a])).toMatchObject({ ok: false, error: 'unknown', code: '#5073' })
    expect(resolveTabCode('cola', [a, b])).toMatchObject({ ok: false, error: 'invalid' })
    expect(resolveTabCode('', [a, b])).toMatchObject({ ok: false, error: 'invalid' })
  })
  it('[POS23] the full id still joins any tab, known or not', () => {
    const id = uuidv7()
    expect(resolveTabCode(id.toUpperCase(), [])).toEqual({ ok: true, cartId: id })
    // The same tab listed twice (tab chips and the visit's list) is one match, not two.
    expect(resolveTabCode('5073', [b, b])).toEqual({ ok: true, cartId: b })
  })
})
