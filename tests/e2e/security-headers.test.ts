/**
 * The built app under the relay's Content-Security-Policy (apps/relay/src/web.ts) in
 * Chromium: the terminal and the back office render, the service worker registers and
 * controls the page, the sync socket connects, and the browser reports no violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'
import type { Stack } from './stack.ts'

const backend = testBackends()[0]

describe.skipIf(!backend)('the web app under its CSP in Chromium', () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend as NonNullable<typeof backend>))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[WEB1] /pos and /admin run with no CSP violation; the service worker controls the terminal and the catalog syncs', async () => {
    const context = await browser.newContext({ baseURL: stack.url })
    context.setDefaultTimeout(60_000)
    const violations: string[] = []
    // Before any script of the page: every violation the document sees is recorded.
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] }
      w.__csp = []
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    try {
      const page = await context.newPage()
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
      })
      const res = await page.goto(`/pos?token=${encodeURIComponent(await stack.terminalToken('csp-1'))}`)
      expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
      await page.getByTestId('pos').waitFor()
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready
        if (navigator.serviceWorker.controller === null) {
          await new Promise<void>((r) => navigator.serviceWorker.addEventListener('controllerchange', () => r(), { once: true }))
        }
      })
      // The catalog arrived over the /mux socket: connect-src allows this origin's WebSocket.
      await page.locator('[data-testid="product"]').first().waitFor()
      violations.push(...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)))
      await page.goto('/admin')
      await page.getByTestId('login').or(page.getByTestId('admin')).first().waitFor()
      violations.push(...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)))
      expect(violations).toEqual([])
    } finally {
      await context.close()
    }
  })
})
