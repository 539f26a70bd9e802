import { describe, expect, it } from 'vitest'
import { parseArgs } from './cli.ts'

describe('cli arguments', () => {
  it('parses the three modes and refuses anything else with a usage line', () => {
    expect(parseArgs(['--once'])).toEqual({ ok: true, mode: 'once', store: undefined, batchSize: undefined })
    expect(parseArgs(['--rebuild', '--store', 'bar1', '--batch', '500'])).toEqual({ ok: true, mode: 'rebuild', store: 'bar1', batchSize: 500 })
    expect(parseArgs([]).ok).toBe(false)
    expect(parseArgs(['--once', '--follow']).ok).toBe(false)
    expect(parseArgs(['--follow', '--store', 'x']).ok).toBe(false)
    expect(parseArgs(['--rebuild', '--store']).ok).toBe(false)
    expect(parseArgs(['--nope']).ok).toBe(false)
  })
})
