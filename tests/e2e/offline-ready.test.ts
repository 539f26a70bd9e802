/**
 * Offline readiness: a new terminal shows "ready offline" once the service worker serves
 * the app shell and the store's documents are on the device; only then is the network
 * cut. The offline banner says what to do, the failed-connect alarm stays quiet for the
 * first seconds, and a reload offline still opens the terminal, still says ready, and sells.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testBackends } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, projectedTickets, until } from './stack.ts'
import { closeBrowserStack, openBrowserStack, type BrowserStack } from './browser-stack.ts'

for (const backend of testBackends()) describe(`offline readiness in Chromium (${backend.name})`, () => {
  let env: BrowserStack
  beforeAll(async () => {
    env = await openBrowserStack(backend)
  }, 240_000)
  afterAll(() => closeBrowserStack(env ?? {}))

  it('[POS20][POS21][POS10] a new terminal goes offline only after "ready" shows, reloads offline and sells', async () => {
    const t = await TerminalPage.open(env.browser, env.stack.url, await env.stack.terminalToken('nueva'), 'en-GB')
    const page = t.page
    try {
      await t.waitCatalog()
      const ready = page.locator('[data-testid="offline-ready"][data-ready="true"]')
      await ready.waitFor()
      expect(await ready.textContent()).toContain('Ready offline')
      expect(await page.getByTestId('offline-banner').count()).toBe(0)

      await t.net.setOnline(false)
      const banner = page.getByTestId('offline-banner')
      await banner.waitFor()
      expect(await banner.textContent()).toBe('No connection. Keep selling: sales are saved on this device and upload when the connection is back.')
      // A blip is not an alarm: no "failed connection attempts" in the first seconds.
      expect(await page.locator('[data-alert="alert.failures"]').count()).toBe(0)

      await t.reload()
      await ready.waitFor()
      await banner.waitFor()
      await t.waitCatalog()
      await t.add(P.beer.name, 2)
      expect(await t.cartTotal()).toBe(2 * P.beer.price)
      const ticketId = await t.checkout('cash')
      expect(await t.pendingSales()).toBe(1)
      await t.screenshot('offline-ready-selling', 'viewport')

      await t.net.setOnline(true)
      await until('pending 0', async () => (await t.pendingSales()) === 0 && (await t.pending()) === 0, 90_000)
      await banner.waitFor({ state: 'detached' })
      const rows = await until('the projected ticket', async () => {
        const r = await projectedTickets(env.database)
        return r.some((x) => x.id === ticketId) ? r : undefined
      }, 90_000)
      expect(rows.find((x) => x.id === ticketId)?.total).toBe(2 * P.beer.price)
    } finally {
      await t.close()
    }
  }, 240_000)
})
