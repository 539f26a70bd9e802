/**
 * What every browser test file starts from: a fresh database, the relay with its
 * projection worker serving the built app, the demo store, and Debian's Chromium.
 */
import type { Browser } from 'playwright-core'
import type { DemoResult } from '@tally/projections'
import type { TestBackend, TestDatabase } from '@tally/schema/db/testing'
import { launchChromium } from './browser.ts'
import { seedDemo, startStack, type Stack } from './stack.ts'

export interface BrowserStack {
  readonly database: TestDatabase
  readonly stack: Stack
  readonly browser: Browser
  readonly demo: DemoResult
}

export async function openBrowserStack(backend: TestBackend): Promise<BrowserStack> {
  const database = await backend.open()
  const stack = await startStack(database)
  const demo = await seedDemo(database)
  const browser = await launchChromium()
  return { database, stack, browser, demo }
}

/** Tolerates a half-opened stack, so a failed setup still cleans up what it made. */
export async function closeBrowserStack(env: Partial<BrowserStack>): Promise<void> {
  await env.browser?.close()
  await env.stack?.close()
  await env.database?.cleanup()
}
