import { afterEach, describe, expect, it } from 'vitest'
import { hashPin, PIN_LOCK_MS, PIN_MAX_FAILURES, rosterDocName, uuidv7, writeStaffMember, type StaffMember } from '@tally/schema'
import type { PinAsk } from './approval.ts'
import { closeTerminal, offlineTerminal, STORE } from './pos-testing.ts'
import type { Terminal } from './terminal.ts'

// Lowest accepted cost: the tests prove the logic, not the cost.
const ITER = 10_000
async function member(name: string, role: StaffMember['role'], pin: string, active = true): Promise<StaffMember> {
  return { id: uuidv7(), name, role, pin: await hashPin(pin, ITER), active }
}

/** A scripted PIN pad: answers in order, records what it was shown. */
function script(t: Terminal, answers: Array<string | null>): PinAsk[] {
  const seen: PinAsk[] = []
  t.pinPrompt = (ask) => {
    seen.push(ask)
    return Promise.resolve(answers.length > 0 ? (answers.shift() as string | null) : null)
  }
  return seen
}

let term: Terminal | null = null
afterEach(async () => {
  if (term) await closeTerminal(term)
  term = null
})

async function terminalWithStaff(clock: { now: number }): Promise<{ t: Terminal; boss: StaffMember; ana: StaffMember }> {
  const t = await offlineTerminal('T1', undefined, { now: () => clock.now })
  const boss = await member('Marta', 'manager', '4321')
  const ana = await member('Ana', 'bartender', '1111')
  const roster = await t.client.open(rosterDocName(STORE))
  writeStaffMember(roster, boss)
  writeStaffMember(roster, ana)
  writeStaffMember(roster, await member('Old boss', 'manager', '9999', false))
  return { t, boss, ana }
}

describe('manager approval on the terminal', () => {
  it('[STF1] a manager PIN approves offline: who, when and what come back; a bartender PIN or a wrong one is refused first', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 23, 0) }
    const { t, boss } = await terminalWithStaff(clock)
    term = t
    expect(t.client.status).not.toBe('online')
    const seen = script(t, ['0000', '1111', '4321'])
    const a = await t.requestApproval({ action: 'void_line', detail: 'Caña x2' })
    expect(a).toEqual({ action: 'void_line', staffId: boss.id, staffName: 'Marta', at: clock.now, detail: 'Caña x2' })
    expect(seen.map((s) => s.error)).toEqual([null, 'wrong_pin', 'not_manager'])
    expect(seen[0]).toMatchObject({ purpose: 'approval', action: 'void_line', detail: 'Caña x2', attemptsLeft: PIN_MAX_FAILURES })
    expect(seen[2]?.attemptsLeft).toBe(PIN_MAX_FAILURES - 2)
    // A success clears the count.
    expect(t.pinLock.attemptsLeft()).toBe(PIN_MAX_FAILURES)
  })

  it('[STF2] an inactive manager PIN is refused; cancelling gives null', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 23, 0) }
    const { t } = await terminalWithStaff(clock)
    term = t
    const seen = script(t, ['9999', null])
    expect(await t.requestApproval({ action: 'refund', detail: 'x' })).toBeNull()
    expect(seen.map((s) => s.error)).toEqual([null, 'wrong_pin'])
  })

  it(`[STF3] after ${PIN_MAX_FAILURES} wrong PINs the pad locks, even the right PIN is refused until the lock ends, then it works`, async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 23, 0) }
    const { t, boss } = await terminalWithStaff(clock)
    term = t
    const wrong = Array.from({ length: PIN_MAX_FAILURES }, () => '0000')
    const seen = script(t, [...wrong, '4321'])
    expect(await t.requestApproval({ action: 'void_ticket', detail: 'x' })).toBeNull()
    expect(seen.at(-1)).toMatchObject({ error: 'locked', lockedUntil: clock.now + PIN_LOCK_MS })
    // A new request while locked: the right PIN is not even checked.
    const again = script(t, ['4321'])
    expect(await t.requestApproval({ action: 'void_ticket', detail: 'x' })).toBeNull()
    expect(again[0]?.error).toBe('locked')
    clock.now += PIN_LOCK_MS
    script(t, ['4321'])
    expect((await t.requestApproval({ action: 'void_ticket', detail: 'x' }))?.staffId).toBe(boss.id)
  })

  it('[STF4] with no manager on the device nothing can be approved, and the pad says why', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 23, 0) }
    const t = await offlineTerminal('T1', undefined, { now: () => clock.now })
    term = t
    const seen = script(t, ['4321'])
    expect(await t.requestApproval({ action: 'refund', detail: 'x' })).toBeNull()
    expect(seen.map((s) => s.error)).toEqual(['no_staff'])
  })
})
