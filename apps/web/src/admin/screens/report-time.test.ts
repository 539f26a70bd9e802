import { describe, expect, it } from 'vitest'
import { browserTimeZone, hourLabels, nextDay } from './report-time.ts'

describe('reports screen time zone', () => {
  it('[ADM5] asks for the browser zone only when the API takes it (UTC or Area/Location)', () => {
    expect(browserTimeZone('Europe/Madrid')).toBe('Europe/Madrid')
    expect(browserTimeZone('UTC')).toBe('UTC')
    expect(browserTimeZone('CET')).toBeUndefined()
    expect(browserTimeZone('')).toBeUndefined()
  })

  it('[ADM5] the exclusive end of a day range is the next calendar day, across month, year and DST', () => {
    expect(nextDay('2026-03-28')).toBe('2026-03-29')
    expect(nextDay('2026-03-31')).toBe('2026-04-01')
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
    expect(nextDay('2028-02-28')).toBe('2028-02-29')
  })

  it('[ADM5] hour labels are in the report zone; the two 02:00 hours of a clocks-back day show their offsets', () => {
    const labels = hourLabels(['2026-10-25T01:00+02:00', '2026-10-25T02:00+02:00', '2026-10-25T02:00+01:00', '2026-10-25T03:00+01:00'], 'en-GB', 'Europe/Madrid')
    expect([...labels.values()]).toEqual(['25 Oct, 01:00', '25 Oct, 02:00 GMT+2', '25 Oct, 02:00 GMT+1', '25 Oct, 03:00'])
    expect(hourLabels(['2026-03-28T23:00Z'], 'en-GB', 'Europe/Madrid').get('2026-03-28T23:00Z')).toBe('29 Mar, 00:00')
  })
})
