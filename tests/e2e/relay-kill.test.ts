/**
 * The relay process is killed with SIGKILL in the middle of sales (its projection worker
 * with it, no shutdown code runs) while a Chromium terminal keeps selling offline, then
 * started again on the same port and data: every sale reaches the database exactly once,
 * with its total, and neither the visit's consumption nor the stock counts a resend twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { testBackends } from '@tally/schema/db/testing'
import { launchChromium, TerminalPage } from './browser.ts'
import { P, STORE, projectedTickets, rows, spawnStack, until, type SpawnedStack } from './stack.ts'

for (const backend of testBackends()) describe(`relay process SIGKILLed under a selling terminal (${backend.name})`, () => {
  let stack: SpawnedStack | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    stack = await spawnStack(backend)
    browser = await launchChromium()
  }, 240_000)
  afterAll(async () => {
    await browser?.close()
    await stack?.close()
  })

  it('[POS6][POS7] SIGKILL of the relay mid-sales, restart on the same data: every ticket accepted once with its total, visit consumption and stock counted once', async () => {
    const s = stack!
    const visitId = s.demo.visits.find((v) => v.bracelet === 'B-1001')!.id
    const t = await TerminalPage.open(browser!, s.url, await s.terminalToken('barra-kill'))
    try {
      await t.waitCatalog()
      const expected = new Map<string, number>()
      const onVisitTickets = new Set<string>()
      let onVisit = 0
      let gins = 0
      let coffees = 0
      const sell = async (i: number): Promise<void> => {
        const visit = i % 4 === 0
        if (visit) await t.scan('B-1001')
        const g = 1 + (i % 2)
        await t.add(P.gin.name, g)
        await t.add(P.coffee.name)
        const total = g * P.gin.price + P.coffee.price
        expect(await t.cartTotal()).toBe(total)
        gins += g
        coffees += 1
        const id = await t.checkout(visit ? 'visit' : 'card')
        expected.set(id, total)
        if (visit) {
          onVisit += total
          onVisitTickets.add(id)
        }
      }
      for (let i = 0; i < 4; i++) await sell(i)

      // The kill lands just after a checkout (within one 100 ms poll), while that ticket is
      // most likely still on its way to the relay or being projected. The bartender does not wait for the relay
      // (one page, one mouse: sales stay sequential) and sells on while it is dead and
      // while it boots again.
      let sold = 0
      let ended = false
      const crash = (async () => {
        await until('a sale after the first four', () => ended || sold >= 1)
        if (ended) return
        await s.kill()
        await until('the terminal to see the relay gone', async () => ended || (await t.status()) !== 'online')
        await until('two sales with the relay dead', () => ended || sold >= 3)
        if (!ended) await s.start()
      })()
      crash.catch(() => {}) // awaited below; this only keeps an early failure from being unhandled
      // A failed sale must not leave the crash sequence starting a relay after teardown.
      try {
        for (let i = 4; i < 10; i++) {
          await sell(i)
          sold++
        }
      } finally {
        ended = sold < 6
        await crash
      }
      await until('the terminal back online', async () => (await t.status()) === 'online', 90_000)
      for (let i = 10; i < 12; i++) await sell(i)

      await t.showTickets()
      await until(
        'every ticket accepted on the terminal',
        async () => {
          const list = await t.tickets()
          return list.length === expected.size && list.every((x) => x.state === 'accepted')
        },
        90_000,
      )
      await until('pending 0', async () => (await t.pending()) === 0)
      expect(new Map((await t.tickets()).map((x) => [x.id, x.total]))).toEqual(expected)
      // While it runs, the relay's REST API is the way in (PGlite has one owner).
      await until('all tickets projected', async () => (await s.api<unknown[]>('/tickets?limit=1000')).length >= expected.size)
      await until('the visit consumption projected', async () => {
        const open = await s.api<Array<{ id: string; consumed: number }>>('/visits?limit=1000')
        return open.find((v) => v.id === visitId)?.consumed === onVisit
      })

      // Then stop it and read what it left in the database.
      const database = await s.stopAndOpen()
      const projected = await projectedTickets(database)
      expect(new Map(projected.map((r) => [r.id, r.total]))).toEqual(expected)
      expect(projected.every((r) => r.status === 'accepted' && r.terminal_id === 'barra-kill')).toBe(true)
      const lineTotals = await rows<{ ticket_id: string; total: number | string }>(
        database,
        sql`select ticket_id, sum(total) as total from ticket_lines where store = ${STORE} group by ticket_id`,
      )
      expect(new Map(lineTotals.map((r) => [r.ticket_id, Number(r.total)]))).toEqual(expected)
      const consumption = await rows<{ ticket_id: string; amount: number | string }>(
        database,
        sql`select ticket_id, amount from visit_consumption where store = ${STORE} and visit_id = ${visitId}`,
      )
      expect(new Set(consumption.map((r) => r.ticket_id))).toEqual(onVisitTickets)
      expect(consumption.reduce((sum, r) => sum + Number(r.amount), 0)).toBe(onVisit)
      const [visit] = await rows<{ consumed: number | string }>(database, sql`select consumed from visits where store = ${STORE} and id = ${visitId}`)
      expect(Number(visit!.consumed)).toBe(onVisit)
      const stock = await rows<{ product_id: string; sold: number | string }>(
        database,
        sql`select product_id, sold from stock_levels where store = ${STORE} and product_id in (${P.gin.id}, ${P.coffee.id})`,
      )
      expect(Object.fromEntries(stock.map((r) => [r.product_id, Number(r.sold)]))).toEqual({ [P.gin.id]: gins, [P.coffee.id]: coffees })
    } finally {
      await t.close()
    }
  }, 300_000)
})
