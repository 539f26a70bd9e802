import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoProductId } from '@tally/projections'
import { ErrorCode, uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { loadConfig } from '../config.ts'
import { saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')

// Madrid: CET (+01:00) until 2026-03-29 01:00Z (02:00 local jumps to 03:00), CEST (+02:00)
// until 2026-10-25 01:00Z (03:00 local goes back to 02:00).
const SALES = [
  '2026-03-28T23:30:00Z', // 00:30 Madrid on 29 March
  '2026-03-29T00:30:00Z', // 01:30 +01:00
  '2026-03-29T01:30:00Z', // 03:30 +02:00 (02:00-03:00 does not exist that day)
  '2026-10-25T00:30:00Z', // 02:30 +02:00
  '2026-10-25T01:30:00Z', // 02:30 +01:00, the second 02:30 of the day
]

type Row = { key: string; tickets: number }
const keys = (json: { rows: Row[] }) => json.rows.map((r) => [r.key, r.tickets])

for (const backend of testBackends()) {
  describe(`API reports in a time zone on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      // The relay's default zone is Madrid; a request's tz overrides it.
      f = await startApiFixture(database, { reportTimeZone: 'Europe/Madrid' })
      const up = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: { sales: SALES.map((at) => ({ local_id: uuidv7(), client_time: at, payment_method: 'cash', items: [saleLine(beer, 1)] })) },
      })
      expect(up.json.summary.success).toBe(SALES.length)
      await settle(f)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    const get = (path: string) => f.call('GET', path, { token: f.admin })

    it('[API20] a sale at 23:30 UTC on 28 March counts on 29 March in Madrid and on 28 March in UTC', async () => {
      const madrid = await get('/reports/sales?by=day&tz=Europe/Madrid&from=2026-03-01&to=2026-04-01')
      expect(madrid.status).toBe(200)
      expect(madrid.json.tz).toBe('Europe/Madrid')
      expect(keys(madrid.json)).toEqual([['2026-03-29', 3]])
      const utc = await get('/reports/sales?by=day&tz=UTC&from=2026-03-01&to=2026-04-01')
      expect(utc.json.tz).toBe('UTC')
      expect(keys(utc.json)).toEqual([['2026-03-28', 1], ['2026-03-29', 2]])
      // No tz: the relay's configured zone.
      const dflt = await get('/reports/sales?by=day&from=2026-03-01&to=2026-04-01')
      expect(dflt.json.tz).toBe('Europe/Madrid')
      expect(keys(dflt.json)).toEqual([['2026-03-29', 3]])
    })

    it('[API20] the ticket list and the audit log read a date-only from/to as that day in the zone too', async () => {
      const madrid = await get('/tickets?tz=Europe/Madrid&from=2026-03-29&to=2026-03-30')
      expect(madrid.status).toBe(200)
      expect((madrid.json as Array<{ clientTime: string }>).map((t) => t.clientTime).sort()).toEqual(SALES.slice(0, 3).map((at) => new Date(at).toISOString()))
      const utc = await get('/tickets?tz=UTC&from=2026-03-29&to=2026-03-30')
      expect((utc.json as unknown[]).length).toBe(2)
      // No tz: the relay's zone (Madrid here).
      expect(((await get('/tickets?from=2026-03-29&to=2026-03-30')).json as unknown[]).length).toBe(3)
      const bad = await get('/tickets?tz=Mars/Olympus&from=2026-03-29')
      expect(bad.status).toBe(400)
      expect(bad.json.error).toMatchObject({ code: ErrorCode.badRequest, details: [{ field: 'tz', path: ['tz'] }] })
      // The upload above was audited just now: a window from yesterday has it, one in 2000 none.
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      const audited = await get(`/audit?kind=sale-upload&tz=UTC&from=${yesterday}`)
      expect(audited.status).toBe(200)
      expect((audited.json as unknown[]).length).toBeGreaterThan(0)
      const past = await get('/audit?kind=sale-upload&tz=Europe/Madrid&from=2000-01-01&to=2000-01-02')
      expect(past.json).toEqual([])
      expect((await get('/audit?tz=Nowhere/Atall')).status).toBe(400)
    })

    it('[API20] a date-only from/to is local midnight in the zone (DST included); a full ISO instant stays an instant', async () => {
      const madrid = await get('/reports/sales?by=day&tz=Europe/Madrid&from=2026-03-29&to=2026-03-30')
      expect([madrid.json.from, madrid.json.to]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'])
      expect(madrid.json.totals.tickets).toBe(3)
      const utc = await get('/reports/sales?by=day&tz=UTC&from=2026-03-29&to=2026-03-30')
      expect([utc.json.from, utc.json.to]).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-30T00:00:00.000Z'])
      expect(utc.json.totals.tickets).toBe(2)
      // The clocks go back on 25 October: that Madrid day lasts 25 hours.
      const long = await get('/reports/sales?by=day&tz=Europe/Madrid&from=2026-10-25&to=2026-10-26')
      expect([long.json.from, long.json.to]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z'])
      expect(keys(long.json)).toEqual([['2026-10-25', 2]])
      // An offset-less local time is a wall time in the zone too.
      const local = await get('/reports/sales?by=day&tz=Europe/Madrid&from=2026-03-29T01:00&to=2026-03-30')
      expect(local.json.from).toBe('2026-03-29T00:00:00.000Z')
      expect(local.json.totals.tickets).toBe(2)
      const instant = await get('/reports/sales?by=day&tz=Europe/Madrid&from=2026-03-29T00:00:00Z&to=2026-03-30T00:00:00%2B02:00')
      expect([instant.json.from, instant.json.to]).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T22:00:00.000Z'])
      expect(keys(instant.json)).toEqual([['2026-03-29', 2]])
      // The visits report reads its bounds the same way.
      const visits = await get('/reports/visits?tz=Europe/Madrid&from=2026-03-29&to=2026-03-30')
      expect([visits.json.tz, visits.json.from]).toEqual(['Europe/Madrid', '2026-03-28T23:00:00.000Z'])
    })

    it('[API20] hours on the DST days: no 02:00 in spring, two 02:00 hours in autumn told apart by their offset', async () => {
      const spring = await get('/reports/sales?by=hour&tz=Europe/Madrid&from=2026-03-29&to=2026-03-30')
      expect(keys(spring.json)).toEqual([['2026-03-29T00:00+01:00', 1], ['2026-03-29T01:00+01:00', 1], ['2026-03-29T03:00+02:00', 1]])
      const autumn = await get('/reports/sales?by=hour&tz=Europe/Madrid&from=2026-10-25&to=2026-10-26')
      expect(keys(autumn.json)).toEqual([['2026-10-25T02:00+02:00', 1], ['2026-10-25T02:00+01:00', 1]])
      // Every key is an instant: the start of its hour.
      expect(autumn.json.rows.map((r: Row) => new Date(r.key).toISOString())).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z'])
      const utc = await get('/reports/sales?by=hour&tz=UTC&from=2026-03-28&to=2026-03-30')
      expect(keys(utc.json)).toEqual([['2026-03-28T23:00Z', 1], ['2026-03-29T00:00Z', 1], ['2026-03-29T01:00Z', 1]])
      // A zone west of UTC and one with a half-hour offset.
      const ny = await get('/reports/sales?by=hour&tz=America/New_York&from=2026-03-28&to=2026-03-29')
      expect(keys(ny.json)).toEqual([['2026-03-28T19:00-04:00', 1], ['2026-03-28T20:00-04:00', 1], ['2026-03-28T21:00-04:00', 1]])
      const kolkata = await get('/reports/sales?by=hour&tz=Asia/Kolkata&from=2026-10-25&to=2026-10-26')
      expect(keys(kolkata.json)).toEqual([['2026-10-25T06:00+05:30', 1], ['2026-10-25T07:00+05:30', 1]])
    })

    it('[API20] CSV carries the offset in hour keys and names the zone', async () => {
      const csv = await get('/reports/sales?by=hour&tz=Europe/Madrid&from=2026-10-25&to=2026-10-26&format=csv')
      expect(csv.status).toBe(200)
      expect(csv.headers.get('x-report-time-zone')).toBe('Europe/Madrid')
      expect(csv.headers.get('content-disposition')).toBe('attachment; filename="sales-by-hour-Europe_Madrid.csv"')
      const lines = csv.text.trim().split('\r\n')
      expect(lines[0]).toBe('key,label,tickets,units,total_cents')
      expect(lines.slice(1, 3).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['2026-10-25T02:00+02:00,2026-10-25T02:00+02:00,1', '2026-10-25T02:00+01:00,2026-10-25T02:00+01:00,1'])
      expect(lines.at(-1)).toMatch(/^TOTAL,,2,2,\d+$/)
    })

    it('[API20] an unknown or ambiguous zone answers the typed 400 on tz', async () => {
      for (const tz of ['Mars/Olympus_Mons', '%2B01:00', 'CET', 'Europe/Madrid%27;--']) {
        const r = await get(`/reports/sales?by=day&tz=${tz}`)
        expect(r.status, tz).toBe(400)
        expect(r.json.error.code).toBe(ErrorCode.badRequest)
        expect(r.json.error.message).toMatch(/^invalid query: tz: must be an IANA time zone name/)
        expect(r.json.error.details).toEqual([{ field: 'tz', path: ['tz'], message: 'must be an IANA time zone name such as Europe/Madrid or UTC' }])
      }
      // The runtime still knows this retired name; the tz database of Postgres does not.
      const retired = await get('/reports/visits?tz=US/Pacific-New')
      expect(retired.status).toBe(400)
      expect(retired.json.error).toMatchObject({ code: ErrorCode.badRequest, details: [{ field: 'tz', path: ['tz'] }] })
      expect(retired.json.error.message).toMatch(/not known to the database/)
      const badDay = await get('/reports/sales?tz=Europe/Madrid&from=2026-02-30')
      expect([badDay.status, badDay.json.error.details[0].field]).toEqual([400, 'from'])
      // Case is forgiven and the zone echoed as the runtime spells it.
      expect((await get('/reports/sales?tz=europe/madrid')).json.tz).toBe('Europe/Madrid')
    })
  })
}

describe('report time zone setting', () => {
  it('[API20] REPORT_TIME_ZONE sets the default zone (UTC when unset) and must itself be a zone', () => {
    const env = { JWT_SECRET: 'x' }
    expect(loadConfig(env).reportTimeZone).toBe('UTC')
    expect(loadConfig({ ...env, REPORT_TIME_ZONE: 'Europe/Madrid' }).reportTimeZone).toBe('Europe/Madrid')
    expect(() => loadConfig({ ...env, REPORT_TIME_ZONE: 'Madrid' })).toThrow(/REPORT_TIME_ZONE must be an IANA time zone name/)
  })
})
