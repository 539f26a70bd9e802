/** Pure parts of the back office: CSV, money input, API errors, session, alerts, routes. */
import { describe, expect, it } from 'vitest'
import { ApiError, fieldErrors, parseError, withQuery } from './api.ts'
import { recogniseAlert } from './alerts.ts'
import { parseBracelets } from './bracelets.ts'
import { centsToCsv, csvCell, toCsv } from './csv.ts'
import { centsToInput, formatMoney, parseMoney } from './format.ts'
import { backoffMs, liveUrl } from './live.ts'
import { en } from './i18n/en.ts'
import { es } from './i18n/es.ts'
import { hrefFor, parseRoute } from './router.ts'
import { UNPROJECTABLE } from './screens/conflicts.tsx'
import { clearSession, loadSession, makeSession, saveSession, tokenExpiry } from './session.ts'

class MemoryStorage {
  private m = new Map<string, string>()
  getItem(k: string) {
    return this.m.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.m.set(k, v)
  }
  removeItem(k: string) {
    this.m.delete(k)
  }
}
const storage = () => new MemoryStorage() as unknown as Storage
const jwt = (payload: object) => `h.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.s`

describe('admin units', () => {
  it('[ADM3] every conflict kind, the quarantine of an unstorable document included, has a label and an explanation in Spanish and English', () => {
    for (const lang of [en, es]) {
      const kinds = Object.keys(lang.conflicts.kind)
      expect(kinds).toContain(UNPROJECTABLE)
      expect(Object.keys(lang.conflicts.explain).sort()).toEqual(kinds.sort())
      expect(lang.conflicts.unprojectableHelp.length).toBeGreaterThan(20)
      // The evidence of a quarantine reads as words, not field names.
      for (const k of ['reason', 'doc', 'seq', 'sale', 'error', 'sqlstate', 'constraint']) expect(lang.evidence).toHaveProperty(k)
    }
    expect(Object.keys(es.conflicts.kind).sort()).toEqual(Object.keys(en.conflicts.kind).sort())
    expect(es.conflicts.kind.unprojectable).not.toBe(en.conflicts.kind.unprojectable)
  })

  it('[ADM7] money: integer cents in, EUR out; typed amounts parse both decimal separators', () => {
    expect(formatMoney(250, 'es-ES').replace(/\s/g, ' ')).toBe('2,50 €')
    expect(formatMoney(123456, 'en-GB')).toBe('€1,234.56')
    expect(parseMoney('2,50')).toBe(250)
    expect(parseMoney('2.5')).toBe(250)
    expect(parseMoney('1.234,56')).toBe(123456)
    expect(parseMoney('1,234.56')).toBe(123456)
    expect(parseMoney('9 €')).toBe(900)
    expect(parseMoney('-0,05')).toBe(-5)
    expect(parseMoney('abc')).toBeNull()
    expect(parseMoney('2,555')).toBe(255500) // a thousands group, not 2.555 €
    expect(parseMoney('')).toBeNull()
    expect(centsToInput(905)).toBe('9.05')
    expect(centsToInput(-5)).toBe('-0.05')
  })

  it('[ADM8] CSV: RFC 4180 quoting, formula guard, money as euros with a dot', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=SUM(A1)')).toBe("'=SUM(A1)")
    expect(csvCell(-3)).toBe('-3')
    expect(csvCell(null)).toBe('')
    expect(centsToCsv(1630)).toBe('16.30')
    expect(centsToCsv(-5)).toBe('-0.05')
    const csv = toCsv([{ k: 'Caña', n: 2 }], [{ header: 'key', value: (r) => r.k }, { header: 'n', value: (r) => r.n }])
    expect(csv).toBe('key,n\r\nCaña,2\r\n')
  })

  it("[ADM9] API errors keep the server's code, message, field details and Retry-After", () => {
    const e = parseError(400, JSON.stringify({ error: { code: 'bad_request', message: 'invalid body', details: [{ field: 'price', path: ['price'], message: 'Expected number' }] } }), null)
    expect(e).toBeInstanceOf(ApiError)
    expect([e.code, e.status, e.message]).toEqual(['bad_request', 400, 'invalid body'])
    expect(fieldErrors(e.details)).toEqual([{ field: 'price', message: 'Expected number' }])
    const r = parseError(429, JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }), '7')
    expect([r.code, r.retryAfter]).toEqual(['rate_limited', 7])
    const html = parseError(502, '<html>bad gateway</html>', null)
    expect(html.code).toBe('internal')
    expect(fieldErrors({ fieldErrors: { name: ['Required'] } })).toEqual([{ field: 'name', message: 'Required' }])
    expect(withQuery('/reports/sales', { by: 'day', from: '', to: undefined, limit: 5 })).toBe('/reports/sales?by=day&limit=5')
  })

  it('[ADM10] the session survives a reload until the token expires, then is dropped', () => {
    const s = storage()
    const now = Date.now()
    const token = jwt({ sub: 'u1', role: 'admin', store: 'demo', exp: Math.floor(now / 1000) + 60 })
    expect(tokenExpiry(token)).toBe(Math.floor(now / 1000) + 60)
    saveSession(makeSession(token, { id: 'u1', email: 'a@b.c', role: 'admin', store: 'demo' }), s)
    expect(loadSession(s, now)?.user.store).toBe('demo')
    expect(loadSession(s, now + 61_000)).toBeNull()
    clearSession(s)
    expect(loadSession(s, now)).toBeNull()
    expect(tokenExpiry('garbage')).toBeNull()
  })

  it('[ADM11] server alerts are recognised for translation; unknown ones pass through', () => {
    expect(recogniseAlert('2 open conflicts to resolve')).toEqual({ key: 'conflicts', params: { count: 2 }, screen: 'conflicts' })
    expect(recogniseAlert('1 product is oversold')?.screen).toBe('stock')
    expect(recogniseAlert('terminal barra-1 has 12 sales pending')?.params).toEqual({ terminal: 'barra-1', count: 12 })
    expect(recogniseAlert('projection is 40 s behind (12 log rows)')?.params).toEqual({ seconds: 40, rows: 12 })
    expect(recogniseAlert('terminal barra-2: token_expired')?.key).toBe('terminalError')
    expect(recogniseAlert('something new')).toBeNull()
  })

  it('[ADM12] routes, live URL and backoff', () => {
    expect(parseRoute('/admin').screen).toBe('dashboard')
    expect(parseRoute('/admin/conflicts/12')).toMatchObject({ screen: 'conflicts', param: '12' })
    expect(parseRoute('/admin/nope').screen).toBe('dashboard')
    expect(hrefFor('terminals', 'barra 1')).toBe('/admin/terminals/barra%201')
    expect(liveUrl('a b', { protocol: 'https:', host: 'shop.example:8443' })).toBe('wss://shop.example:8443/api/v1/live?token=a%20b')
    expect(backoffMs(0)).toBe(500)
    expect(backoffMs(20)).toBe(15_000)
    expect(parseBracelets('B-1, B-2;B-1  B-3')).toEqual(['B-1', 'B-2', 'B-3'])
  })
})
