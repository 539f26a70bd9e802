/**
 * What every back-office browser test starts from: a database with the demo store and the
 * e2e admin, a relay stack, Chromium, and the back office open (signed in when asked).
 */
import type { Browser } from 'playwright-core'
import type { TestBackend, TestDatabase } from '@tally/schema/db/testing'
import { launchChromium } from '../e2e/browser.ts'
import { seedDemo, startStack, type Stack } from '../e2e/stack.ts'
import { AdminPage } from './admin-page.ts'
import { ADMIN, createAdmin } from './admin-data.ts'

export interface BackOffice {
  database: TestDatabase
  stack: Stack
  browser: Browser
  admin: AdminPage
}

export async function openBackOffice(backend: TestBackend, opts: { signIn?: boolean } = {}): Promise<BackOffice> {
  const database = await backend.open()
  const stack = await startStack(database)
  await seedDemo(database)
  await createAdmin(database)
  const browser = await launchChromium()
  const admin = await AdminPage.open(browser, stack.url)
  if (opts.signIn) await admin.login(ADMIN.email, ADMIN.password)
  return { database, stack, browser, admin }
}

/** Closes what `openBackOffice` opened; safe after a partial start (a failed beforeAll). */
export async function closeBackOffice(b: Partial<BackOffice>): Promise<void> {
  await b.admin?.close()
  await b.browser?.close()
  await b.stack?.close()
  await b.database?.cleanup()
}
