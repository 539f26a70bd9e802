import { describe, expect, it } from 'vitest'
import { MemoryStorage } from './pos-testing.ts'
import { loadSession, parsePairing, relaysOf, saveSession, forgetSession } from './session.ts'

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (payload: unknown): string => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.c2ln`
const hub = jwt({ store: 'bar-1', sub: 'caja-2', role: 'terminal', exp: 2_000_000_000 })
const central = jwt({ store: 'bar-1', sub: 'caja-2', role: 'terminal', exp: 1_900_000_000 })

describe('pairing with two relays', () => {
  it('[POS33] a code of addresses each followed by its token: the hub preferred, central the fallback, the earliest expiry kept', () => {
    const r = parsePairing(`wss://192.168.1.10:8787 ${hub}\n  https://central.example.com/pos ${central}\n`)
    expect(r).toMatchObject({
      ok: true,
      value: { store: 'bar-1', terminalId: 'caja-2', token: hub, url: 'wss://192.168.1.10:8787', exp: 1_900_000_000, fallbacks: [{ url: 'wss://central.example.com', token: central }] },
    })
    if (!r.ok) return
    expect(relaysOf(r.value, 'wss://page')).toEqual([
      { url: 'wss://192.168.1.10:8787', token: hub },
      { url: 'wss://central.example.com', token: central },
    ])
  })

  it('[POS33] a bare token is this page’s relay, as before', () => {
    const r = parsePairing(hub)
    expect(r.ok && r.value.url).toBeUndefined()
    expect(r.ok && relaysOf(r.value, 'wss://page')).toEqual([{ url: 'wss://page', token: hub }])
  })

  it('[POS33] refuses tokens of another terminal or store, an address without its token, and what is not an address', () => {
    expect(parsePairing(`wss://a ${hub} wss://b ${jwt({ store: 'bar-1', sub: 'caja-3', role: 'terminal' })}`)).toEqual({ ok: false, error: 'mixed_tokens' })
    expect(parsePairing(`wss://a ${hub} wss://b ${jwt({ store: 'bar-9', sub: 'caja-2', role: 'terminal' })}`)).toEqual({ ok: false, error: 'mixed_tokens' })
    expect(parsePairing(`wss://a ${hub} wss://b`)).toEqual({ ok: false, error: 'address_without_token' })
    expect(parsePairing(`${hub} ${central}`)).toEqual({ ok: false, error: 'address_without_token' })
    expect(parsePairing(`ftp://a ${hub}`)).toEqual({ ok: false, error: 'bad_address' })
  })

  it('[POS33] the addresses survive a reload and are forgotten with the token', () => {
    const storage = new MemoryStorage()
    const r = parsePairing(`wss://hub:8787 ${hub} wss://central ${central}`)
    if (!r.ok) throw new Error(r.error)
    saveSession(r.value, storage)
    expect(loadSession(storage)).toMatchObject({ token: hub, url: 'wss://hub:8787', fallbacks: [{ url: 'wss://central', token: central }] })
    forgetSession(storage)
    expect(loadSession(storage)).toBeNull()
  })
})
