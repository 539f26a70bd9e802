/**
 * A page object for the back office (/admin), reading the DOM through data-testid
 * attributes (money as data-cents, never parsed from localized text).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { SCREENSHOTS } from '../e2e/browser.ts'
import { until } from '../e2e/stack.ts'

export type AdminScreen = 'dashboard' | 'reports' | 'tickets' | 'stock' | 'conflicts' | 'products' | 'partners' | 'visits' | 'terminals' | 'audit' | 'settings' | 'staff'

export class AdminPage {
  readonly errors: string[] = []
  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  static async open(browser: Browser, baseUrl: string, locale = 'es-ES', viewport = { width: 1360, height: 900 }): Promise<AdminPage> {
    const context = await browser.newContext({ baseURL: baseUrl, locale, viewport })
    const page = await context.newPage()
    const a = new AdminPage(page, context)
    page.on('pageerror', (err) => {
      a.errors.push(err.message)
      console.error(`[admin browser] ${err.message}`)
    })
    await page.goto('/admin')
    await page.getByTestId('login').or(page.getByTestId('admin')).first().waitFor({ timeout: 30_000 })
    return a
  }

  async login(email: string, password: string): Promise<void> {
    await this.page.getByTestId('login-email').fill(email)
    await this.page.getByTestId('login-password').fill(password)
    await this.page.getByTestId('login-submit').click()
    await this.page.getByTestId('admin').waitFor({ timeout: 15_000 })
  }

  async go(screen: AdminScreen): Promise<void> {
    await this.page.getByTestId(`nav-${screen}`).click()
    await this.page.getByTestId(screen).waitFor()
  }

  async liveState(): Promise<string> {
    return (await this.page.getByTestId('live').getAttribute('data-state')) ?? ''
  }

  async openConflictsBadge(): Promise<number> {
    const badge = this.page.getByTestId('nav-conflicts-count')
    return (await badge.count()) === 0 ? 0 : Number(await badge.textContent())
  }

  /** Stock rows as shown: product id -> { level, oversold }. */
  async stock(): Promise<Record<string, { level: number; oversold: boolean }>> {
    return this.page.$$eval('[data-testid="stock-table"] tr[data-product-id]', (els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-product-id') ?? '', { level: Number(e.getAttribute('data-level')), oversold: e.getAttribute('data-oversold') === 'true' }])),
    )
  }

  /** The sales report's totals and rows (the reports screen must be shown). */
  async report(): Promise<{ total: number; tickets: number; units: number; rows: Record<string, { total: number; units: number }> }> {
    await this.page.getByTestId('report-total').waitFor()
    const total = Number(await this.page.getByTestId('report-total').getAttribute('data-cents'))
    const tickets = Number(await this.page.getByTestId('report-tickets').getAttribute('data-value'))
    const units = Number(await this.page.getByTestId('report-units').getAttribute('data-value'))
    const rows = await this.page.$$eval('[data-testid="sales-table"] tr[data-key]', (els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-key') ?? '', { total: Number(e.getAttribute('data-total')), units: Number(e.getAttribute('data-units')) }])),
    )
    return { total, tickets, units, rows }
  }

  async waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    return until(what, fn, timeoutMs)
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true })
    const path = join(SCREENSHOTS, `${name}.png`)
    // A full-page capture of a scrolled page draws the sticky header mid-page.
    await this.page.evaluate(() => window.scrollTo(0, 0))
    await this.page.screenshot({ path, fullPage: true })
    return path
  }

  async close(): Promise<void> {
    await this.context.close()
  }
}
