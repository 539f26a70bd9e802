/**
 * A terminal loses the network, sells 20 tickets, is reloaded while still offline (the
 * service worker serves the app, IndexedDB still holds every sale), then comes back:
 * every ticket reaches durable and then projected, nothing stays pending, and Postgres
 * holds exactly those 20 tickets with the totals the terminal showed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, projectedTickets, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

for (const backend of testBackends()) describe(`offline terminal in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS3][POS7][POS9][POS10] 20 sales offline survive a reload and all reach the server once', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-offline'))
    try {
      await t.waitCatalog()
      await until('online', async () => (await t.status()) === 'online')
      await t.net.setOnline(false)
      await until('the terminal to notice it is offline', async () => (await t.status()) !== 'online')

      const expected = new Map<string, number>()
      for (let i = 0; i < 20; i++) {
        let total = 0
        let method: 'cash' | 'card' | 'visit' = i % 2 === 0 ? 'cash' : 'card'
        if (i % 5 === 4) {
          // The roster is on the device: a bracelet is found with the network gone.
          await t.scan('B-1003')
          method = 'visit'
        }
        const beers = 1 + (i % 3)
        await t.add(P.beer.name, beers)
        total += beers * P.beer.price
        if (i % 2 === 0) {
          await t.add(P.water.name)
          total += P.water.price
        }
        expect(await t.cartTotal()).toBe(total)
        expected.set(await t.checkout(method), total)
      }
      expect(expected.size).toBe(20)

      const pendingOffline = await t.pending()
      expect(pendingOffline).toBeGreaterThan(10)
      await t.page.locator('[data-alert="alert.pending"]').waitFor()
      await t.screenshot('status-widget-offline', 'status')
      await t.showTickets()
      const before = await t.tickets()
      expect(before).toHaveLength(20)
      expect(before.every((x) => x.state === 'local')).toBe(true)
      await t.screenshot('tickets-offline')

      // Reload with the network still gone: the app shell comes from the service worker.
      await t.reload()
      await t.showTickets()
      const after = await t.tickets()
      expect(new Map(after.map((x) => [x.id, x.total]))).toEqual(expected)
      expect(after.every((x) => x.state === 'local')).toBe(true)
      await until('pending restored from IndexedDB', async () => (await t.pending()) === pendingOffline)
      expect(await t.status()).not.toBe('online')

      // Back online: everything goes up, is acknowledged, then projected.
      await t.net.setOnline(true)
      await until(
        'all 20 tickets accepted',
        async () => {
          const list = await t.tickets()
          return list.length === 20 && list.every((x) => x.state === 'accepted')
        },
        90_000,
      )
      await until('pending 0', async () => (await t.pending()) === 0)
      // Storage stays bounded: charged carts are dropped once durable; ticket documents are
      // followed (a void may still come) for a day, then dropped (POS8, unit-tested).
      await t.showSell()
      const current = await t.cartId()
      await t.showTickets()
      await until('charged carts dropped from IndexedDB', async () => {
        const names = await t.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''))
        const carts = names.filter((n) => n.includes('/cart/') && !n.endsWith(current))
        const tickets = names.filter((n) => n.includes('/ticket/')).length
        if (carts.length > 0 || tickets !== 20) throw new Error(`left: ${carts.length} carts (${carts.slice(0, 3).join(', ')}), ${tickets} tickets`)
        return names.some((n) => n.endsWith('/catalog'))
      })
      await t.screenshot('tickets-synced')
      await t.screenshot('status-widget-synced', 'status')

      const rows = await until('20 projected tickets', async () => {
        const r = await projectedTickets(database)
        return r.length === 20 ? r : undefined
      })
      expect(new Map(rows.map((r) => [r.id, r.total]))).toEqual(expected)
      expect(rows.every((r) => r.status === 'accepted' && r.terminal_id === 'barra-offline')).toBe(true)
    } finally {
      await t.close()
    }
  }, 300_000)
})
