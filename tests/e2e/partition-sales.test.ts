/**
 * Issue 11 in Chromium: two terminals (two browser contexts, two IndexedDBs), both
 * offline, sell on the same bracelet. Each makes its own tab (a fresh UUIDv7, listed in
 * the visit), so neither sale can replace the other. Back online, both sales are in the
 * reports, the visit's consumed amount is their sum, each terminal shows its ticket's
 * true state, and an admin's void made through the REST API reaches the terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, STORE, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

interface SalesReport {
  rows: Array<{ key: string; tickets: number; total: number }>
  totals: { tickets: number; total: number }
}
interface VisitsReport {
  rows: Array<{ visitId: string; consumed: number; tickets: number }>
}

for (const backend of testBackends()) describe(`two terminals offline on one bracelet in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let visitId = ''
  beforeAll(async () => {
    const env = await openBrowserStack(backend)
    ;({ database, stack, browser } = env)
    visitId = env.demo.visits.find((v) => v.bracelet === 'B-1002')!.id
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  const api = async <T,>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const token = await stack.relay.token({ role: 'admin', store: STORE, sub: 'e2e-admin' })
    const res = await fetch(`${stack.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  const stockOf = async (t: TerminalPage, name: string): Promise<number> =>
    Number(await t.page.locator(`[data-testid="product"][data-name="${name}"] [data-testid="stock"]`).getAttribute('data-stock'))
  const stateOf = async (t: TerminalPage, id: string): Promise<string | undefined> => (await t.tickets()).find((x) => x.id === id)?.state

  it('[POS4][POS7][POS9][POS15][POS16] both offline sales count, the visit total is their sum, each terminal shows the truth, a void reaches the terminal', async () => {
    const a = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-p1'))
    const b = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-p2'))
    try {
      await Promise.all([a.waitCatalog(), b.waitCatalog()])
      await until('both online', async () => (await a.status()) === 'online' && (await b.status()) === 'online')
      await Promise.all([a.net.setOnline(false), b.net.setOnline(false)])
      await until('both offline', async () => (await a.status()) !== 'online' && (await b.status()) !== 'online')

      // Each bartender scans the member's bracelet, on a terminal that cannot see the other.
      await a.scan('B-1002')
      await b.scan('B-1002')
      const [tabA, tabB] = [await a.cartId(), await b.cartId()]
      expect(tabA).not.toBe(tabB)
      const beersBefore = await stockOf(a, P.beer.name)
      await a.add(P.beer.name, 2)
      await b.add(P.gin.name, 1)
      const [sumA, sumB] = [2 * P.beer.price, P.gin.price]
      const idA = await a.checkout('visit')
      const idB = await b.checkout('visit')
      expect(idA).not.toBe(idB)
      // Offline: one pending sale each (its changes are counted apart), and the stock
      // shown counts the sale not yet confirmed.
      expect(await a.pendingSales()).toBe(1)
      expect(await a.pending()).toBeGreaterThan(1)
      expect(await stockOf(a, P.beer.name)).toBe(beersBefore - 2)
      await a.screenshot('partition-offline-a')

      await Promise.all([a.net.setOnline(true), b.net.setOnline(true)])
      await Promise.all([a.showTickets(), b.showTickets()])
      await until('both sales accepted on their terminals', async () => (await stateOf(a, idA)) === 'accepted' && (await stateOf(b, idB)) === 'accepted', 90_000)
      await until('no pending sale', async () => (await a.pendingSales()) === 0 && (await b.pendingSales()) === 0)

      // The reports hold both sales, per terminal.
      const sales = await until('both sales in the report', async () => {
        const r = await api<SalesReport>('GET', '/reports/sales?by=terminal')
        return r.totals.tickets === 2 ? r : undefined
      })
      expect(Object.fromEntries(sales.rows.map((r) => [r.key, r.total]))).toEqual({ 'barra-p1': sumA, 'barra-p2': sumB })
      expect(sales.totals.total).toBe(sumA + sumB)
      const visitRow = async (): Promise<VisitsReport['rows'][number] | undefined> =>
        (await api<VisitsReport>('GET', '/reports/visits')).rows.find((r) => r.visitId === visitId)
      await until('the visit total is the sum of both', async () => (await visitRow())?.consumed === sumA + sumB)
      expect((await visitRow())?.tickets).toBe(2)
      // Each terminal shows the visit's consumed amount with both sales.
      await Promise.all([a.showSell(), b.showSell()])
      await Promise.all([a.scan('B-1002'), b.scan('B-1002')])
      await until('both terminals show the sum', async () => (await a.consumed()) === sumA + sumB && (await b.consumed()) === sumA + sumB)

      // The back office voids B's sale later: the terminal's receipt follows.
      await api('POST', `/tickets/${idB}/void`, { reason: 'charged to the wrong member' })
      await Promise.all([a.showTickets(), b.showTickets()])
      await until('the void on terminal B', async () => (await stateOf(b, idB)) === 'voided', 60_000)
      await b.screenshot('partition-voided-b')
      expect(await stateOf(a, idA)).toBe('accepted')
      await b.showSell()
      await until('B leaves the voided sale out of the consumed amount', async () => (await b.consumed()) === sumA)
      // Server side: the visit's consumed amount is the sum of its accepted, non-voided tickets.
      await until('the visit total without the voided sale', async () => (await visitRow())?.consumed === sumA, 30_000)
    } finally {
      await a.close()
      await b.close()
    }
  }, 300_000)

  it('[POS4] after a partition the panel shows both open tabs of the visit; merging moves the other terminal too', async () => {
    const a = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-m1'))
    const b = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-m2'))
    try {
      await Promise.all([a.waitCatalog(), b.waitCatalog()])
      await until('both online', async () => (await a.status()) === 'online' && (await b.status()) === 'online')
      await Promise.all([a.net.setOnline(false), b.net.setOnline(false)])
      await until('both offline', async () => (await a.status()) !== 'online' && (await b.status()) !== 'online')
      await a.scan('B-1003')
      await b.scan('B-1003')
      const [tabA, tabB] = [await a.cartId(), await b.cartId()]
      expect(tabA).not.toBe(tabB)
      await a.add(P.beer.name, 1)
      await b.add(P.water.name, 2)

      await Promise.all([a.net.setOnline(true), b.net.setOnline(true)])
      const other = (t: TerminalPage, id: string) => t.page.locator(`[data-testid="other-tab"][data-cart-id="${id}"]`)
      await until('each terminal shows the other tab', async () => (await other(a, tabB).count()) === 1 && (await other(b, tabA).count()) === 1)
      expect(Number(await other(a, tabB).getAttribute('data-cents'))).toBe(2 * P.water.price)
      await a.screenshot('partition-two-tabs')
      await other(a, tabB).getByTestId('merge-tab').click()
      await until('B follows to the merged tab', async () => (await b.cartId()) === tabA)
      const want = { [P.beer.id]: 1, [P.water.id]: 2 }
      await until('both show the merged lines', async () => {
        const [qa, qb] = await Promise.all([a.cartQty(), b.cartQty()])
        return JSON.stringify(qa) === JSON.stringify(want) && JSON.stringify(qb) === JSON.stringify(want)
      })
      expect(await a.page.getByTestId('other-tab').count()).toBe(0)
      const id = await a.checkout('visit')
      await a.showTickets()
      await until('the merged sale accepted', async () => (await stateOf(a, id)) === 'accepted')
      expect((await a.tickets()).find((x) => x.id === id)?.total).toBe(P.beer.price + 2 * P.water.price)
    } finally {
      await a.close()
      await b.close()
    }
  }, 300_000)
})
