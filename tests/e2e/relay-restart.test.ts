/**
 * The relay goes down and comes back (same database, same port) while a terminal keeps
 * selling: every sale reaches Postgres exactly once, with its total, and the visit's
 * consumption is not counted twice by the resends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, STORE, projectedTickets, rows, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

const backend = testBackends().at(-1)!
describe(`relay restart under a selling terminal (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let visitId = ''
  beforeAll(async () => {
    const env = await openBrowserStack(backend)
    ;({ database, stack, browser } = env)
    visitId = env.demo.visits.find((v) => v.bracelet === 'B-1001')!.id
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS6][POS7] nothing lost, nothing doubled across a relay restart', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-restart'))
    try {
      await t.waitCatalog()
      const expected = new Map<string, number>()
      let onVisit = 0
      const sell = async (i: number): Promise<void> => {
        const visit = i % 4 === 0
        if (visit) await t.scan('B-1001')
        await t.add(P.gin.name, 1 + (i % 2))
        await t.add(P.coffee.name)
        const total = (1 + (i % 2)) * P.gin.price + P.coffee.price
        expected.set(await t.cartId(), total)
        if (visit) onVisit += total
        await t.checkout(visit ? 'visit' : 'card')
      }
      for (let i = 0; i < 4; i++) await sell(i)
      // The relay goes away and comes back while the next sales are being made; the
      // bartender does not wait for it (one page, one mouse: sales stay sequential).
      let sold = 4
      const restarting = (async () => {
        await stack.stop()
        await until('the terminal to see the relay gone', async () => (await t.status()) !== 'online')
        await until('two sales with the relay down', () => sold >= 7)
        await stack.restart()
      })()
      for (let i = 4; i < 10; i++) {
        await sell(i)
        sold++
      }
      await restarting
      for (let i = 10; i < 12; i++) await sell(i)

      await t.showTickets()
      await until(
        'every ticket accepted',
        async () => {
          const list = await t.tickets()
          return list.length === expected.size && list.every((x) => x.state === 'accepted')
        },
        90_000,
      )
      await until('pending 0', async () => (await t.pending()) === 0)
      const projected = await until('all tickets projected', async () => {
        const r = await projectedTickets(database)
        return r.length >= expected.size ? r : undefined
      })
      expect(projected).toHaveLength(expected.size)
      expect(new Map(projected.map((r) => [r.id, r.total]))).toEqual(expected)
      const [visit] = await until('the visit consumption projected', async () => {
        const r = await rows<{ consumed: number | string }>(database, sql`select consumed from visits where store = ${STORE} and id = ${visitId}`)
        return r.length === 1 && Number(r[0]!.consumed) === onVisit ? r : undefined
      })
      expect(Number(visit!.consumed)).toBe(onVisit)
    } finally {
      await t.close()
    }
  }, 300_000)
})
