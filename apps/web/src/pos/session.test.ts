import { describe, expect, it } from 'vitest'
import { decodeTerminalToken, isExpired } from './session.ts'

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (payload: unknown): string => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.c2ln`

describe('terminal token', () => {
  it('[POS1] decodes store, terminal, role and expiry without verifying', () => {
    const r = decodeTerminalToken(`  ${jwt({ store: 'bar-1', sub: 'caja-2', role: 'terminal', exp: 2_000_000_000 })}\n`)
    expect(r).toMatchObject({ ok: true, value: { store: 'bar-1', terminalId: 'caja-2', role: 'terminal', exp: 2_000_000_000 } })
  })

  it('[POS1] decodes non-ASCII payloads (base64url of UTF-8)', () => {
    const r = decodeTerminalToken(jwt({ store: 's', sub: 'barra-año', role: 'terminal' }))
    expect(r.ok && r.value.terminalId).toBe('barra-año')
  })

  it('[POS1] refuses what is not a terminal token', () => {
    expect(decodeTerminalToken('hello')).toEqual({ ok: false, error: 'not_a_token' })
    expect(decodeTerminalToken('a.b.c')).toEqual({ ok: false, error: 'not_a_token' })
    expect(decodeTerminalToken(jwt({ sub: 't', role: 'terminal' }))).toEqual({ ok: false, error: 'no_store' })
    expect(decodeTerminalToken(jwt({ store: 's', role: 'terminal' }))).toEqual({ ok: false, error: 'no_terminal' })
    expect(decodeTerminalToken(jwt({ store: 's', sub: 't', role: 'service' }))).toEqual({ ok: false, error: 'wrong_role' })
  })

  it('[POS2] knows when a token has expired', () => {
    const r = decodeTerminalToken(jwt({ store: 's', sub: 't', role: 'terminal', exp: 100 }))
    expect(r.ok && isExpired(r.value, 100_000)).toBe(true)
    expect(r.ok && isExpired(r.value, 99_999)).toBe(false)
  })
})
