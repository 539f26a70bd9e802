/**
 * Short tab codes: the code a tab shows ("#5073") joins it from a second terminal; a code
 * no open tab known there has is refused with a sentence, and the full id still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testBackends } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, until } from './stack.ts'
import { closeBrowserStack, openBrowserStack, type BrowserStack } from './browser-stack.ts'

for (const backend of testBackends()) describe(`short tab codes in Chromium (${backend.name})`, () => {
  let env: BrowserStack
  beforeAll(async () => {
    env = await openBrowserStack(backend)
  }, 240_000)
  afterAll(() => closeBrowserStack(env ?? {}))

  it('[POS23] "#5073" typed on a second terminal joins the tab; an unknown code says so; the full id still joins', async () => {
    const a = await TerminalPage.open(env.browser, env.stack.url, await env.stack.terminalToken('codigo-a'))
    const b = await TerminalPage.open(env.browser, env.stack.url, await env.stack.terminalToken('codigo-b'))
    try {
      await Promise.all([a.waitCatalog(), b.waitCatalog()])
      // Both serve Ben: B knows the visit's tab. Then B starts a walk-in tab for someone else.
      await a.scan('B-1002')
      await a.add(P.beer.name, 2)
      await b.scan('B-1002')
      const visitTab = await a.cartId()
      await until('B on the visit tab', async () => (await b.cartId()) === visitTab)
      const code = (await a.page.getByTestId('tab-code').textContent()) ?? ''
      expect(code).toBe(`#${visitTab.slice(-4)}`)
      await b.page.getByTestId('new-tab').click()
      await until('B on a walk-in tab', async () => (await b.cartId()) !== visitTab && (await b.page.getByTestId('tab-panel').getAttribute('data-busy')) === 'false')
      await b.add(P.cola.name)
      const walkIn = await b.cartId()

      // A code no open tab on B has: refused with what to do, B stays where it was.
      const other = code.endsWith('ffff') ? '#eeee' : '#ffff'
      await b.page.getByTestId('join-id').fill(other)
      await b.page.getByTestId('join').click()
      await b.page.locator('[data-testid="notice"][data-key="notice.tabCode_unknown"]').waitFor()
      expect(await b.page.getByTestId('notice').textContent()).toContain(other)
      expect(await b.cartId()).toBe(walkIn)

      // The code as A shows it ("#xxxx"), and without "#": B is back on Ben's tab with A's lines.
      await b.page.getByTestId('join-id').fill(code)
      await b.page.getByTestId('join').click()
      await until('B on the visit tab by its short code', async () => (await b.cartId()) === visitTab)
      await until('A\'s lines on B', async () => (await b.cartQty())[P.beer.id] === 2)
      await b.screenshot('short-code-joined')

      // A joins B's walk-in tab, unknown to A, by its full id; then "xxxx" without "#" on B.
      await a.page.getByTestId('join-id').fill(walkIn)
      await a.page.getByTestId('join').click()
      await until('A on B\'s walk-in by the full id', async () => (await a.cartId()) === walkIn)
      await b.page.getByTestId('join-id').fill(walkIn.slice(-4))
      await b.page.getByTestId('join').click()
      await until('B back on its walk-in by "xxxx"', async () => (await b.cartId()) === walkIn)
    } finally {
      await a.close()
      await b.close()
    }
  }, 240_000)
})
