import { describe, expect, it } from 'vitest'
import { findDuplicates, lineSignature, type DuplicateCandidate } from './duplicates.ts'

const c = (ticketId: string, terminalId: string, sec: number, sig = 'beer*2'): DuplicateCandidate => ({
  ticketId,
  store: 's',
  terminalId,
  bracelet: 'B-1001',
  clientTime: new Date(Date.UTC(2026, 0, 1, 21, 0, sec)),
  signature: sig,
})

describe('duplicates', () => {
  it('[PRJ14] same bracelet, same lines, two terminals, seconds apart', () => {
    expect(lineSignature([{ productId: 'b', qty: 1 }, { productId: 'a', qty: 2 }, { productId: 'b', qty: 1 }])).toBe('a*2,b*2')
    expect(findDuplicates([c('x', 't1', 0)], [c('y', 't2', 30)])).toEqual([{ key: 'duplicate:x:y', tickets: ['x', 'y'] }])
  })
  it('[PRJ14] same terminal, other lines, or over a minute apart: no suspicion', () => {
    expect(findDuplicates([c('x', 't1', 0)], [c('y', 't1', 5)])).toEqual([])
    expect(findDuplicates([c('x', 't1', 0)], [c('y', 't2', 5, 'cola*1')])).toEqual([])
    expect(findDuplicates([c('x', 't1', 0)], [{ ...c('y', 't2', 0), clientTime: new Date(Date.UTC(2026, 0, 1, 21, 1, 1)) }])).toEqual([])
    expect(findDuplicates([], [c('x', 't1', 0), c('y', 't2', 1)])).toEqual([])
  })
})
