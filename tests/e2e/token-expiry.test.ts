/**
 * An expired token never costs the terminal its sales: the relay refuses the socket, the
 * terminal keeps the pending sale and asks to be paired again; a new token of the same
 * store sends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, projectedTickets, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

for (const backend of testBackends()) describe(`token expiry in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS2] pending sales survive an expired token and go up after pairing again', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-exp'))
    try {
      await t.waitCatalog()
      await t.net.setOnline(false)
      await t.add(P.beer.name, 2)
      const ticketId = await t.checkout('card')
      expect(await t.pending()).toBeGreaterThan(0)
      // Overnight the stored token expires; the terminal is restarted (still offline,
      // so the app shell comes from the service worker) with nothing but that token.
      const expired = await stack.terminalToken('barra-exp', -60)
      await t.page.evaluate((tok) => localStorage.setItem('tally.token', tok), expired)
      await t.reload()

      await t.net.setOnline(true)
      await t.page.getByTestId('repair-note').waitFor({ timeout: 60_000 })
      expect(await t.status()).toBe('auth-required')
      expect(await t.pending()).toBeGreaterThan(0)
      await t.screenshot('pair-again')

      // A token of another store is refused: the pending sales belong to this one.
      await t.page.getByTestId('token').fill(await stack.relay.token({ role: 'terminal', store: 'other', sub: 'x' }))
      await t.page.getByTestId('pair').click()
      await expect(t.page.getByRole('alert').textContent()).resolves.toMatch(/e2e/)

      await t.page.getByTestId('token').fill(await stack.terminalToken('barra-exp'))
      await t.page.getByTestId('pair').click()
      await t.showTickets()
      await until('the ticket accepted', async () => (await t.tickets()).find((x) => x.id === ticketId)?.state === 'accepted', 60_000)
      await until('pending 0', async () => (await t.pending()) === 0)
      expect((await projectedTickets(database)).map((r) => [r.id, r.total])).toEqual([[ticketId, 2 * P.beer.price]])
      // The new token is kept on the device.
      await t.reload()
      await until('online after reload with the new token', async () => (await t.status()) === 'online')
    } finally {
      await t.close()
    }
  }, 300_000)
})
