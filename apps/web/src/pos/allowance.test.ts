import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { writeAllowancePolicy, writeGrant, type CartLine } from '@tally/schema'
import { AllowanceBook } from './allowance.ts'
import { createLocalStore } from './local-store.ts'
import { MemoryStorage } from './pos-testing.ts'

const line = (qty: number, productId = 'p1'): CartLine => ({ lineId: `l-${Math.random()}`, productId, name: 'Shot', unitPrice: 400, taxRate: 2100, qty })

function book(onExceeded: 'warn' | 'approval' | 'block', granted = 3) {
  const doc = new Y.Doc()
  writeAllowancePolicy(doc, { enabled: true, onExceeded, scarce: ['p1'] })
  writeGrant(doc, { terminalId: 't1', productId: 'p1', grantId: 'g1', version: 2, granted, at: '2026-12-01T22:00:00.000Z' })
  const storage = new MemoryStorage()
  return { doc, storage, b: new AllowanceBook(() => doc, 't1', createLocalStore('x', storage)) }
}

describe('the terminal allowance book', () => {
  it('[ESC17] counts its own sales before the ticket is written (a reload keeps the count), gives them back if the checkout fails, and marks each line with its grant', async () => {
    const { b, doc, storage } = book('block')
    const g = await b.gate([line(2), line(1, 'other')], null)
    if (!g.ok) throw new Error('refused')
    expect([...g.marks.values()]).toEqual([{ grantId: 'g1', version: 2, within: 2 }])
    expect(b.left('p1')?.remaining).toBe(1)
    // A reloaded terminal (same storage) still knows what it sold.
    expect(new AllowanceBook(() => doc, 't1', createLocalStore('x', storage)).left('p1')?.remaining).toBe(1)
    g.undo()
    expect(b.left('p1')?.remaining).toBe(3)
    expect(b.left('other')).toBeNull()
  })

  it('[ESC18] past the allowance: block refuses, approval asks a manager (declined: refused; approved: sold with the approval in the mark), warn sells', async () => {
    const blocked = await book('block').b.gate([line(4)], null)
    expect(blocked).toMatchObject({ ok: false, error: 'allowance_blocked', remaining: 3 })
    const asked: string[] = []
    const declined = await book('approval').b.gate([line(4)], (req) => {
      asked.push(req.action)
      return Promise.resolve(null)
    })
    expect(declined).toMatchObject({ ok: false, error: 'allowance_declined' })
    expect(asked).toEqual(['allowance'])
    const { b } = book('approval')
    const ok = await b.gate([line(4)], () => Promise.resolve({ action: 'allowance', staffId: 'm1', staffName: 'Marta', at: Date.UTC(2026, 11, 1, 23), detail: '' }))
    if (!ok.ok) throw new Error('refused')
    expect([...ok.marks.values()][0]).toMatchObject({ grantId: 'g1', within: 3, approval: { by: 'm1', name: 'Marta' } })
    expect(ok.approvals).toHaveLength(1)
    expect(b.left('p1')?.remaining).toBe(0)
    const warned = await book('warn').b.gate([line(5)], null)
    expect(warned).toMatchObject({ ok: true, beyond: [{ productId: 'p1', qty: 2 }] })
  })

  it('[ESC19] a scarce product with no grant yet (never online) has nothing within: every unit follows the policy', async () => {
    const doc = new Y.Doc()
    writeAllowancePolicy(doc, { enabled: true, onExceeded: 'block', scarce: ['p1'] })
    const b = new AllowanceBook(() => doc, 't1', createLocalStore('y', new MemoryStorage()))
    expect(b.left('p1')).toEqual({ productId: 'p1', grant: null, remaining: 0 })
    expect(b.low()).toBe(true)
    expect(await b.gate([line(1)], null)).toMatchObject({ ok: false, error: 'allowance_blocked' })
  })
})
