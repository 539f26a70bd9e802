import { describe, expect, it } from 'vitest'
import { DEFAULT_STRATEGIES, outcomeFor, resolveStrategies } from './strategies.ts'

describe('strategies', () => {
  it('[PRJ3] defaults: price changes settle for the terminal, everything else waits for a person', () => {
    expect(DEFAULT_STRATEGIES.price_changed).toBe('terminal_wins')
    expect(DEFAULT_STRATEGIES.oversold).toBe('manual')
    expect(DEFAULT_STRATEGIES.unknown_product).toBe('manual')
    expect(resolveStrategies({ oversold: 'merge' }).oversold).toBe('merge')
  })
  it('[PRJ3] defaults: a price the catalog never had and a double checkout wait for a person', () => {
    expect(DEFAULT_STRATEGIES.unknown_price).toBe('manual')
    expect(DEFAULT_STRATEGIES.double_checkout).toBe('manual')
    expect(DEFAULT_STRATEGIES.resend_changed).toBe('manual')
  })
  it('[PRJ3][PRJ25] outcomes per strategy: waiting for a person is review, not refuse', () => {
    expect(outcomeFor('price_changed', 'server_wins')).toEqual({ ticket: 'refuse', status: 'resolved' })
    expect(outcomeFor('price_changed', 'manual')).toEqual({ ticket: 'review', status: 'open' })
    expect(outcomeFor('price_changed', 'last_write', { terminalLater: true })).toEqual({ ticket: 'accept', status: 'resolved' })
    expect(outcomeFor('price_changed', 'last_write')).toEqual({ ticket: 'review', status: 'open' })
    expect(outcomeFor('double_checkout', 'manual')).toEqual({ ticket: 'none', status: 'open' })
    expect(outcomeFor('oversold', 'manual')).toEqual({ ticket: 'none', status: 'open' })
    expect(outcomeFor('duplicate', 'terminal_wins')).toEqual({ ticket: 'none', status: 'resolved' })
    expect(outcomeFor('unknown_product', 'manual', { human: 'accept' })).toEqual({ ticket: 'accept', status: 'resolved' })
  })
})
