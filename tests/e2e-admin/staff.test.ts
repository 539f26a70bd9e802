/**
 * The Staff screen in Chromium (Spanish): the owner adds a manager and a bartender, is
 * told at once when a PIN is already taken, renames, changes a role and deactivates; the
 * relay answers the same staff (never a hash), the store's roster carries the active
 * members' PIN hashes for the terminals, and the audit log says what changed in words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Browser } from 'playwright-core'
import { readStaff, rosterDocName, verifyPin } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { STORE, until, type Stack } from '../e2e/stack.ts'
import type { AdminPage } from './admin-page.ts'
import { closeBackOffice, openBackOffice } from './back-office-stack.ts'

for (const backend of testBackends()) describe(`back office staff, Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let admin: AdminPage
  const api = async (path: string) => {
    const token = await stack.relay.token({ role: 'admin', store: STORE, sub: 'checker' })
    const res = await fetch(`${stack.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (await res.json()) as any
  }
  beforeAll(async () => {
    ;({ database, stack, browser, admin } = await openBackOffice(backend, { signIn: true }))
  }, 240_000)
  afterAll(() => closeBackOffice({ admin, browser, stack, database }))

  it('[STF18] the owner adds, renames, promotes and deactivates staff; a taken PIN is refused saying so; the roster carries the active PINs as hashes; the audit log reads in words', async () => {
    const page = admin.page
    await admin.go('staff')
    const add = async (name: string, role: 'bartender' | 'manager', pin: string) => {
      await page.getByTestId('staff-new').click()
      await page.getByTestId('staff-name').fill(name)
      await page.getByTestId('staff-role').selectOption(role)
      await page.getByTestId('staff-pin').fill(pin)
      await page.getByTestId('staff-save').click()
    }
    await add('Marta', 'manager', '4321')
    await page.locator('[data-testid="staff-table"] tr[data-name="Marta"][data-role="manager"]').waitFor()
    // A PIN another active member has: refused, the form stays, the reason is shown.
    await add('Ana', 'bartender', '4321')
    await page.getByTestId('staff-form').getByTestId('error').waitFor()
    expect(await page.getByTestId('staff-form').getByTestId('error').innerText()).toMatch(/PIN/)
    await page.getByTestId('staff-pin').fill('1111')
    await page.getByTestId('staff-save').click()
    await page.locator('[data-testid="staff-table"] tr[data-name="Ana"]').waitFor()

    // Rename and promote Ana, then deactivate Marta.
    await page.locator('[data-testid="staff-table"] tr[data-name="Ana"]').getByTestId('staff-edit').click()
    await page.getByTestId('staff-name').fill('Ana M.')
    await page.getByTestId('staff-role').selectOption('manager')
    await page.getByTestId('staff-save').click()
    await page.locator('[data-testid="staff-table"] tr[data-name="Ana M."][data-role="manager"]').waitFor()
    await page.locator('[data-testid="staff-table"] tr[data-name="Marta"]').getByTestId('staff-edit').click()
    await page.getByTestId('staff-active').uncheck()
    await page.getByTestId('staff-save').click()
    await page.locator('[data-testid="staff-table"] tr[data-name="Marta"][data-active="false"]').waitFor()
    await admin.screenshot('staff-screen')

    const list = await api('/staff')
    expect(list.map((m: { name: string; role: string; active: boolean }) => [m.name, m.role, m.active])).toEqual([
      ['Ana M.', 'manager', true],
      ['Marta', 'manager', false],
    ])
    expect(JSON.stringify(list)).not.toMatch(/hash|salt/)
    const stored = await stack.relay.relay.core.log.loadDoc(rosterDocName(STORE))
    const doc = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
    for (const e of stored.entries) Y.applyUpdate(doc, e.bytes)
    const roster = readStaff(doc)
    expect(roster.map((m) => m.name)).toEqual(['Ana M.'])
    expect(await verifyPin('1111', roster[0]!.pin)).toBe(true)

    await admin.go('audit')
    await until('staff audit sentences', async () => (await page.getByTestId('audit-what').filter({ hasText: 'Persona nueva: Marta' }).count()) > 0)
    expect(await page.getByTestId('audit-what').filter({ hasText: 'Persona desactivada' }).count()).toBeGreaterThan(0)
    expect(admin.errors).toEqual([])
  }, 240_000)
})
