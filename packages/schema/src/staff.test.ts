import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { readStaff, writeStaffMember } from './doc.ts'
import { findStaffByPin, hashPin, isPin, PIN_MAX_ITERATIONS, verifyPin, type StaffMember } from './staff.ts'
import { saleSchema, validate } from './validate.ts'

const ITER = 10_000

describe('staff PINs and approvals', () => {
  it('[STF20] a PIN hash verifies its PIN only; a malformed or over-costly hash, or a PIN that is not 4-8 digits, is false, never a throw', async () => {
    const h = await hashPin('4321', ITER)
    expect(h).toMatchObject({ alg: 'pbkdf2-sha256', iterations: ITER })
    expect(await verifyPin('4321', h)).toBe(true)
    expect(await verifyPin('4322', h)).toBe(false)
    // Salted: the same PIN hashes differently each time.
    expect((await hashPin('4321', ITER)).hash).not.toBe(h.hash)
    expect(await verifyPin('4321', { ...h, hash: '!!!' })).toBe(false)
    expect(await verifyPin('4321', { ...h, hash: 'AAAA' })).toBe(false)
    expect(await verifyPin('4321', { ...h, iterations: PIN_MAX_ITERATIONS + 1 })).toBe(false)
    for (const bad of ['123', '123456789', '12a4', ' 1234', '']) expect(isPin(bad)).toBe(false)
    expect(await verifyPin('43 21', h)).toBe(false)
  })

  it('[STF21] the roster keeps valid members only; a PIN finds its active member, optionally only a manager', async () => {
    const doc = new Y.Doc()
    const boss: StaffMember = { id: 'm1', name: 'Marta', role: 'manager', pin: await hashPin('4321', ITER), active: true }
    const ana: StaffMember = { id: 'b1', name: 'Ana', role: 'bartender', pin: await hashPin('1111', ITER), active: true }
    const gone: StaffMember = { id: 'b2', name: 'Luis', role: 'bartender', pin: await hashPin('2222', ITER), active: false }
    writeStaffMember(doc, boss)
    writeStaffMember(doc, ana)
    writeStaffMember(doc, gone)
    doc.getMap('staff').set('junk', { id: 'junk', name: 'X', role: 'owner', pin: {} })
    const staff = readStaff(doc)
    expect(staff.map((m) => m.id)).toEqual(['b1', 'b2', 'm1'])
    expect((await findStaffByPin('1111', staff))?.id).toBe('b1')
    expect(await findStaffByPin('1111', staff, 'manager')).toBeNull()
    expect((await findStaffByPin('4321', staff, 'manager'))?.id).toBe('m1')
    expect(await findStaffByPin('2222', staff)).toBeNull()
  })

  it('[STF22] a sale carries approvals, a seller id, a refund kind and its original, all validated with typed issues', () => {
    const base = {
      id: 't1',
      storeId: 's',
      terminalId: 'T1',
      clientTime: '2026-12-01T22:00:00.000Z',
      lines: [{ lineId: 'l1', productId: 'p', name: 'Caña', qty: -1, unitPrice: 350, total: -350 }],
      total: -350,
      payment: { method: 'cash', amount: -350 },
      cashierId: 'b1',
      kind: 'refund',
      refundOf: 't0',
      approvals: [{ action: 'refund', staffId: 'm1', staffName: 'Marta', at: Date.UTC(2026, 11, 1, 22), detail: 'x' }],
    }
    const ok = validate(saleSchema, base)
    expect(ok.ok && ok.value).toMatchObject({ kind: 'refund', refundOf: 't0', cashierId: 'b1', approvals: [{ action: 'refund' }] })
    const bad = validate(saleSchema, { ...base, approvals: [{ action: 'steal', staffId: 'm1', staffName: 'M', at: 1, detail: 'x' }] })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.issues.map((i) => [i.path, i.code])).toEqual([['approvals.0.action', 'malformed'], ['approvals.0.at', 'out_of_range']])
    expect(validate(saleSchema, { ...base, kind: 'gift' }).ok).toBe(false)
  })
})
