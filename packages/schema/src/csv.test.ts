import { describe, expect, it } from 'vitest'
import { csvCell, csvLines } from './csv.ts'

describe('CSV cells', () => {
  it('[CSV1] text a spreadsheet would run as a formula (= + - @ tab CR first) gets a leading apostrophe; numbers, negative ones too, stay numeric', () => {
    expect(['=1+2', '+1', '-1+2', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+2", "'+1", "'-1+2", "'@SUM(A1)", "'\tx", "\"'\rx\""])
    expect([-3, -12.5, 0, 42].map(csvCell)).toEqual(['-3', '-12.5', '0', '42'])
    expect(['-12.50', '-3', '12'].map(csvCell)).toEqual(['-12.50', '-3', '12'])
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvCell('Caña, fría')).toBe('"Caña, fría"')
    expect([null, undefined, new Date('2026-03-01T00:00:00Z')].map(csvCell)).toEqual(['', '', '2026-03-01T00:00:00.000Z'])
    expect(csvLines(['a', 'b'], [['=x', -1]])).toBe("a,b\r\n'=x,-1\r\n")
  })
})
