/**
 * Two terminals (two browser contexts, separate IndexedDB) on one visit's tab: both add
 * lines at the same time, both see the merged cart, the ticket total is the sum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, projectedTickets, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

const sameQty = (a: Record<string, number>, b: Record<string, number>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v)

for (const backend of testBackends()) describe(`shared tab in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS4][POS5][POS6] two terminals on one bracelet share the cart; the ticket total is the sum and names who sold it', async () => {
    const a = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-1'))
    const b = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-2'))
    try {
      await Promise.all([a.waitCatalog(), b.waitCatalog()])
      // The browser says Spanish, so the terminal speaks Spanish.
      expect(await a.page.getAttribute('html', 'lang')).toBe('es')
      await a.page.getByText('Cobrar').first().waitFor()
      // Both bartenders scan Ana's bracelet at once: each may mint a tab, and the one on
      // an empty tab moves to the other's (POS4), so they end on one tab.
      await Promise.all([a.scan('B-1001'), b.scan('B-1001')])
      await until('both on one tab', async () => (await a.cartId()) === (await b.cartId()))
      const cartId = await a.cartId()

      // Both add at once, including the same product: every increment counts. (One
      // mouse per page: a page's own clicks are sequential, the two pages race.)
      await Promise.all([
        (async () => (await a.add(P.beer.name, 3), await a.add(P.gin.name, 1)))(),
        (async () => (await b.add(P.beer.name, 2), await b.add(P.water.name, 2)))(),
      ])
      const expected = { [P.beer.id]: 5, [P.gin.id]: 1, [P.water.id]: 2 }
      const total = 5 * P.beer.price + P.gin.price + 2 * P.water.price
      await until('both terminals to show the merged cart', async () => {
        const [qa, qb] = await Promise.all([a.cartQty(), b.cartQty()])
        return sameQty(qa, expected) && sameQty(qb, expected)
      })
      expect(await a.cartTotal()).toBe(total)
      expect(await b.cartTotal()).toBe(total)
      await a.screenshot('shared-tab-terminal-a')

      // A's bartender says who is selling (kept on the device, written into the ticket).
      await a.page.getByTestId('cashier').fill('Ana María ')
      // A charges it to the visit; B leaves the charged tab instead of selling on it.
      const ticketId = await a.checkout('visit')
      await until('B to leave the charged tab', async () => (await b.cartId()) !== cartId)
      await b.page.getByTestId('notice').waitFor()
      // Scanning again, both land on the visit's NEXT tab, the same one, and see what
      // the visit has consumed so far.
      await Promise.all([a.scan('B-1001'), b.scan('B-1001')])
      await until('both on the next tab', async () => (await a.cartId()) === (await b.cartId()))
      expect(await a.cartId()).not.toBe(cartId)
      await until('the consumed amount on both terminals', async () => {
        const [ca, cb] = await Promise.all([a.page.getByTestId('consumed').textContent(), b.page.getByTestId('consumed').textContent()])
        return ca === cb && (ca ?? '').replace(/\D/g, '') === String(total) ? true : undefined
      })

      await a.showTickets()
      const [ticket] = await until('the ticket in the list', async () => {
        const t = await a.tickets()
        return t.length === 1 && t[0]!.state === 'accepted' ? t : undefined
      }, 60_000)
      expect(ticket).toMatchObject({ id: ticketId, total })
      await until('pending 0 on both', async () => (await a.pending()) === 0 && (await b.pending()) === 0)
      const inDb = await until('the projected ticket', async () => {
        const r = await projectedTickets(database)
        return r.length === 1 ? r : undefined
      })
      expect(inDb[0]).toMatchObject({ id: ticketId, total, status: 'accepted', cashier: 'Ana María' })
      await a.screenshot('tickets-list')
      await a.screenshot('status-widget-online', 'status')
      // The name stays on the device across a reload.
      await a.page.reload()
      await a.waitCatalog()
      expect(await a.page.getByTestId('cashier').inputValue()).toBe('Ana María ')
    } finally {
      await a.close()
      await b.close()
    }
  }, 300_000)
})
