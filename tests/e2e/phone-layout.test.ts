/**
 * The terminal on a bartender's phone (360, 390 and 430 px wide, touch): no screen scrolls
 * sideways, the header is small, the tab's total and Charge stay on screen while the
 * products are scrolled, every touch target is at least 44 px, no F-key hints, and a
 * whole sale is made from the bottom bar. Screenshots go to tests/screenshots/phone-*.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { testBackends } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, until } from './stack.ts'
import { closeBrowserStack, openBrowserStack, type BrowserStack } from './browser-stack.ts'

const WIDTHS = [360, 390, 430] as const
const HEIGHT = 844

/** The page is no wider than the screen (nothing to scroll sideways). */
async function sideways(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
}

async function expectNoSideways(page: Page, where: string): Promise<void> {
  const w = await sideways(page)
  expect(w.scrollWidth, `${where}: page ${w.scrollWidth}px on a ${w.innerWidth}px screen`).toBeLessThanOrEqual(w.innerWidth)
}

async function inViewport(page: Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).evaluate((el) => {
    const r = el.getBoundingClientRect()
    return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth
  })
}

/** Visible controls smaller than 44 px in either direction (a finger misses them). */
async function smallTargets(page: Page): Promise<string[]> {
  return page.$$eval('button, input, select', (els) =>
    els
      .filter((e) => {
        const r = e.getBoundingClientRect()
        return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'
      })
      .filter((e) => {
        const r = e.getBoundingClientRect()
        return r.height < 43.5 || r.width < 43.5
      })
      .map((e) => `${e.tagName.toLowerCase()}[${e.getAttribute('data-testid') ?? e.getAttribute('aria-label') ?? e.textContent}] ${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`),
  )
}

for (const backend of testBackends()) describe(`terminal on a phone in Chromium (${backend.name})`, () => {
  let env: BrowserStack
  beforeAll(async () => {
    env = await openBrowserStack(backend)
  }, 240_000)
  afterAll(() => closeBrowserStack(env ?? {}))

  for (const width of WIDTHS) {
    it(`[POS20][POS12][POS22] at ${width} px: no sideways scroll, Charge on screen while products scroll, a sale from the bottom bar`, async () => {
      const t = await TerminalPage.open(env.browser, env.stack.url, await env.stack.terminalToken(`movil-${width}`), 'es-ES', { width, height: HEIGHT })
      const page = t.page
      try {
        await t.waitCatalog()
        await until('online', async () => (await t.status()) === 'online')
        await expectNoSideways(page, 'sell')
        const header = await page.locator('header.topbar').boundingBox()
        expect(header?.height ?? 999).toBeLessThan(140)
        // A touch screen shows no F-key hints (the shortcuts stay on desktop).
        expect(await page.getByTestId('key-hints').count()).toBe(0)
        expect(await page.getByTestId('search').getAttribute('placeholder')).not.toContain('F2')
        expect(await smallTargets(page)).toEqual([])

        // Browse to the end of the product list: total and Charge are still under the thumb.
        await page.locator('[data-testid="product"]').last().scrollIntoViewIfNeeded()
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
        await t.add(P.cola.name, 2)
        await t.add(P.water.name)
        expect(await inViewport(page, 'bar-charge')).toBe(true)
        const bar = page.getByTestId('bottom-bar')
        await until('the bar to count 3 items', async () => (await bar.getAttribute('data-count')) === '3')
        expect(Number(await bar.getAttribute('data-cents'))).toBe(2 * P.cola.price + P.water.price)
        await t.screenshot(`phone-${width}-products`, 'viewport')

        // A search that finds nothing says so.
        await page.getByTestId('search').fill('zzz')
        await page.getByTestId('no-matches').waitFor()
        await page.getByTestId('search').fill('')

        // The bar opens the tab: lines grouped (Cola ×2 is one row), Charge on screen.
        await page.getByTestId('bar-charge').click()
        await page.locator('[data-testid="cart-sheet"][data-open="true"]').waitFor()
        expect(await page.getByTestId('cart-line').count()).toBe(2)
        expect(await page.locator(`[data-testid="cart-line"][data-product-id="${P.cola.id}"]`).getAttribute('data-qty')).toBe('2')
        await expectNoSideways(page, 'tab sheet')
        expect(await smallTargets(page)).toEqual([])
        await t.screenshot(`phone-${width}-tab`, 'viewport')
        const before = await t.cartId()
        await page.getByTestId('method-cash').click()
        await page.getByTestId('checkout').click()
        // The checkout dialog fits the phone too; confirm the exact amount, close the receipt.
        await expectNoSideways(page, 'checkout dialog')
        await page.getByTestId('pay-confirm').click()
        await until('the next tab after checkout', async () => (await t.cartId()) !== before)
        await page.getByTestId('receipt-done').click()
        // The sheet closes; the confirmation shows above the bar, where the eyes are.
        await page.locator('[data-testid="cart-sheet"][data-open="false"]').waitFor({ state: 'attached' })
        await page.locator('[data-testid="notice"][data-key="notice.sold"]').waitFor()
        expect(await inViewport(page, 'notice')).toBe(true)
        await t.screenshot(`phone-${width}-sold`, 'viewport')
        // It clears itself (an info notice; errors stay).
        await page.getByTestId('notice').waitFor({ state: 'detached', timeout: 15_000 })

        await t.showTickets()
        await page.getByTestId('ticket').first().waitFor()
        await expectNoSideways(page, 'tickets')
        await t.screenshot(`phone-${width}-tickets`)
        // The menu holds the cashier field and the language; opened, it still fits.
        await page.getByTestId('menu').click()
        await page.getByTestId('cashier').fill('Ana')
        await expectNoSideways(page, 'menu')
        const items = await page.locator('[data-testid="ticket"] .items').first().textContent()
        expect(items).toContain(`${P.cola.name} ×2`)
      } finally {
        await t.close()
      }
    }, 240_000)
  }
})
