/**
 * Staff on a partitioned terminal (issue 16): the seller is chosen by PIN, voids and
 * refunds need a manager's PIN, and the store's offline policy applies, all with no relay.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  catalogDocName,
  hashPin,
  readCartLines,
  readSale,
  rosterDocName,
  storeSettingsSchema,
  ticketDocName,
  uuidv7,
  writeStaffMember,
  writeTerminalSettings,
  type Sale,
  type StaffMember,
} from '@tally/schema'
import type { PinAsk } from './approval.ts'
import { BEER, closeTerminal, GIN, offlineTerminal, STORE } from './pos-testing.ts'
import type { Terminal } from './terminal.ts'

const ITER = 10_000
const T0 = Date.UTC(2026, 11, 1, 22, 0)
let term: Terminal | null = null
afterEach(async () => {
  if (term) await closeTerminal(term)
  term = null
})

async function member(name: string, role: StaffMember['role'], pin: string): Promise<StaffMember> {
  return { id: uuidv7(), name, role, pin: await hashPin(pin, ITER), active: true }
}

/** PIN pad script: answers in order (null = cancel once they run out). */
function pad(t: Terminal, answers: Array<string | null>): PinAsk[] {
  const seen: PinAsk[] = []
  t.pinPrompt = (ask) => {
    seen.push(ask)
    return Promise.resolve(answers.length > 0 ? (answers.shift() as string | null) : null)
  }
  return seen
}

async function setup(policy: Record<string, unknown> = {}): Promise<{ t: Terminal; clock: { now: number }; boss: StaffMember; ana: StaffMember }> {
  const clock = { now: T0 }
  const t = await offlineTerminal('T1', undefined, { now: () => clock.now })
  term = t
  const boss = await member('Marta', 'manager', '4321')
  const ana = await member('Ana', 'bartender', '1111')
  const roster = await t.client.open(rosterDocName(STORE))
  writeStaffMember(roster, boss)
  writeStaffMember(roster, ana)
  const catalog = await t.client.open(catalogDocName(STORE))
  writeTerminalSettings(catalog, storeSettingsSchema.parse({ offlinePolicy: policy }), 1)
  return { t, clock, boss, ana }
}

async function sellOne(t: Terminal, qty = 1, p = BEER): Promise<boolean> {
  if (t.current === null) await t.newTab()
  t.addProduct(p, qty)
  return t.checkout('cash')
}

async function saleOf(t: Terminal, id: string): Promise<Sale | undefined> {
  return readSale(await t.client.open(ticketDocName(STORE, id)))
}

describe('staff on the terminal, offline', () => {
  it('[STF7] the seller is chosen by PIN: the ticket carries their id and name; with no one signed in the charge asks, and a cancelled PIN sells nothing', async () => {
    const { t, ana } = await setup()
    expect(t.client.status).not.toBe('online')
    pad(t, [null])
    expect(await sellOne(t)).toBe(false)
    expect(t.notice?.key).toBe('staff.notice.checkout_no_cashier')
    expect(t.tickets.receipts).toHaveLength(0)
    const seen = pad(t, ['1111'])
    expect(await t.checkout('cash')).toBe(true)
    expect(seen[0]).toMatchObject({ purpose: 'cashier', error: null })
    const sale = await saleOf(t, t.lastSale?.id as string)
    expect(sale).toMatchObject({ cashier: 'Ana', cashierId: ana.id })
    // Switch user: the next sale is the manager's.
    pad(t, ['4321'])
    expect(await t.signIn()).toBe(true)
    expect(await sellOne(t)).toBe(true)
    expect(t.lastSale).toMatchObject({ cashier: 'Marta' })
  })

  it('[STF8] removing a line or lowering a quantity needs a manager PIN offline; refused, the tab stays; approved, the approval travels into the ticket', async () => {
    const { t, boss } = await setup()
    pad(t, ['1111'])
    await t.signIn()
    await t.newTab()
    t.addProduct(BEER, 3)
    t.addProduct(GIN, 1)
    const cart = t.current?.cart
    if (!cart) throw new Error('no tab')
    const beer = readCartLines(cart).find((l) => l.productId === BEER.id)
    const gin = readCartLines(cart).find((l) => l.productId === GIN.id)
    if (!beer || !gin) throw new Error('lines')
    const seen = pad(t, ['1111', null])
    expect(await t.removeLine(gin.lineId)).toBe(false)
    expect(seen.map((s) => [s.action, s.error])).toEqual([['void_line', null], ['void_line', 'not_manager']])
    expect(readCartLines(cart)).toHaveLength(2)
    pad(t, ['4321'])
    expect(await t.removeLine(gin.lineId)).toBe(true)
    pad(t, ['4321'])
    expect(await t.changeLine(beer, -1)).toBe(true)
    expect(readCartLines(cart).map((l) => [l.productId, l.qty])).toEqual([[BEER.id, 2]])
    pad(t, [])
    expect(await t.checkout('cash')).toBe(true)
    const sale = await saleOf(t, t.lastSale?.id as string)
    expect(sale?.total).toBe(2 * BEER.price)
    expect(sale?.approvals?.map((a) => [a.action, a.staffId, a.staffName])).toEqual([
      ['void_line', boss.id, 'Marta'],
      ['void_line', boss.id, 'Marta'],
    ])
    expect(sale?.approvals?.[0]?.detail).toContain('Gin tonic x1')
  })

  it('[STF9] a refund offline is a new ticket naming the sale, with negative lines and a manager approval; more than was sold is refused; a bartender PIN is not enough', async () => {
    const { t, clock, boss } = await setup()
    pad(t, ['1111'])
    await t.signIn()
    expect(await sellOne(t, 3)).toBe(true)
    const original = t.lastSale as Sale
    clock.now += 60_000
    const seen = pad(t, ['1111', null])
    expect(await t.refund(original.id, { lines: { [original.lines[0]?.lineId as string]: 2 } })).toBeNull()
    expect(seen.map((s) => [s.action, s.error])).toEqual([['refund', null], ['refund', 'not_manager']])
    pad(t, ['4321'])
    const refund = await t.refund(original.id, { lines: { [original.lines[0]?.lineId as string]: 2 } })
    expect(refund).not.toBeNull()
    const stored = await saleOf(t, refund?.id as string)
    expect(stored).toMatchObject({ kind: 'refund', refundOf: original.id, total: -2 * BEER.price, cashier: 'Ana', payment: { method: 'cash', amount: -2 * BEER.price } })
    expect(stored?.lines.map((l) => [l.productId, l.qty, l.total])).toEqual([[BEER.id, -2, -2 * BEER.price]])
    expect(stored?.approvals).toEqual([{ action: 'refund', staffId: boss.id, staffName: 'Marta', at: clock.now, detail: expect.stringContaining(original.id) }])
    // The original is untouched.
    expect((await saleOf(t, original.id))?.total).toBe(3 * BEER.price)
    expect(t.refundable(original.id)).toBe(true)
    // Only one unit is left to give back.
    pad(t, ['4321'])
    expect(await t.refund(original.id, { lines: { [original.lines[0]?.lineId as string]: 2 } })).toBeNull()
    expect(t.notice?.key).toBe('staff.notice.refund_too_many')
    pad(t, ['4321'])
    expect(await t.refund(original.id)).not.toBeNull()
    expect(t.refundable(original.id)).toBe(false)
    // A refund of a refund is refused.
    expect(await t.refund(refund?.id as string)).toBeNull()
    expect(t.notice?.key).toBe('staff.notice.refund_is_refund')
  })

  it('[STF10] past the offline time limit with `block` the terminal cannot charge and says why; with `approval` it asks a manager PIN and the approval is in the ticket; with `warn` it sells and warns (injected clock)', async () => {
    const { t, clock, boss } = await setup({ maxOfflineMinutes: 60, onMaxOffline: 'block' })
    pad(t, ['1111'])
    await t.signIn()
    expect(await sellOne(t)).toBe(true)
    expect(t.policy).toMatchObject({ offlineMinutes: 0, maxOfflineMinutes: 60 })
    clock.now += 59 * 60_000
    expect(t.policy.offlineMinutes).toBe(59)
    expect(await sellOne(t)).toBe(true)
    clock.now += 60_000
    expect(await sellOne(t)).toBe(false)
    expect(t.notice).toMatchObject({ key: 'staff.notice.policy_block_offline_time', params: { value: 60, max: 60 } })
    expect(t.tickets.receipts).toHaveLength(2)

    const catalog = await t.client.open(catalogDocName(STORE))
    writeTerminalSettings(catalog, storeSettingsSchema.parse({ offlinePolicy: { maxOfflineMinutes: 60, onMaxOffline: 'approval' } }), 2)
    pad(t, [null])
    expect(await t.checkout('cash')).toBe(false)
    expect(t.notice?.key).toBe('staff.notice.policy_approval_offline_time')
    const seen = pad(t, ['4321'])
    expect(await t.checkout('cash')).toBe(true)
    expect(seen[0]?.action).toBe('offline_limit')
    expect((await saleOf(t, t.lastSale?.id as string))?.approvals).toEqual([
      { action: 'offline_limit', staffId: boss.id, staffName: 'Marta', at: clock.now, detail: 'offline_time 60/60 (approval)' },
    ])

    writeTerminalSettings(catalog, storeSettingsSchema.parse({ offlinePolicy: { maxOfflineMinutes: 60, onMaxOffline: 'warn' } }), 3)
    pad(t, [])
    expect(await sellOne(t)).toBe(true)
    expect(t.notice).toMatchObject({ key: 'staff.notice.policy_warn', params: { limits: 'offline_time' } })
  })

  it('[STF11] one offline sale over the sale limit, and the unsynced total over its limit, do what the policy says', async () => {
    const { t } = await setup({ maxSaleCents: 1000, onMaxSale: 'block', maxUnsyncedCents: 2000, onMaxUnsynced: 'block' })
    pad(t, ['1111'])
    await t.signIn()
    expect(await sellOne(t, 1, GIN)).toBe(true)
    expect(await sellOne(t, 2, GIN)).toBe(false)
    expect(t.notice).toMatchObject({ key: 'staff.notice.policy_block_sale_value', params: { value: 1800, max: 1000 } })
    await t.newTab()
    expect(await sellOne(t, 1, GIN)).toBe(true)
    expect(t.unsyncedCents).toBe(1800)
    expect(t.policy).toMatchObject({ unsyncedCents: 1800, maxUnsyncedCents: 2000 })
    expect(await sellOne(t, 1, BEER)).toBe(false)
    expect(t.notice).toMatchObject({ key: 'staff.notice.policy_block_unsynced_value', params: { value: 2150, max: 2000 } })
  })

  it('[STF16] a price override needs a manager PIN; the line is sold at the new price and the approval names it', async () => {
    const { t, boss } = await setup()
    pad(t, ['1111'])
    await t.signIn()
    await t.newTab()
    t.addProduct(GIN, 2)
    const cart = t.current?.cart
    if (!cart) throw new Error('no tab')
    const line = readCartLines(cart)[0]
    if (!line) throw new Error('no line')
    pad(t, ['1111', null])
    expect(await t.overridePrice(line, 700)).toBe(false)
    expect(readCartLines(cart).map((l) => l.unitPrice)).toEqual([900])
    pad(t, ['4321'])
    expect(await t.overridePrice(line, 700)).toBe(true)
    const now = readCartLines(cart)
    expect(now.map((l) => [l.productId, l.qty, l.unitPrice])).toEqual([[GIN.id, 2, 700]])
    pad(t, [])
    expect(await t.checkout('cash')).toBe(true)
    const sale = await saleOf(t, t.lastSale?.id as string)
    expect(sale?.total).toBe(1400)
    expect(sale?.approvals).toEqual([{ action: 'price_override', staffId: boss.id, staffName: 'Marta', at: T0, detail: `line:${now[0]?.lineId} Gin tonic 900->700` }])
  })
})
