import { mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs'
import { createServer, request } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, tlsConfig } from '../config.ts'
import { lanNames, type LanNames } from './lan-names.ts'
import { ensureLocalCa, ensureServerCert, RENEW_BEFORE_MS, SERVER_VALID_DAYS } from './local-ca.ts'
import { prepareTls, watchLocalTls } from './setup.ts'

const root = mkdtempSync(join(tmpdir(), 'tally-ca-'))
let n = 0
const fresh = () => join(root, `d${n++}`)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const names = (ips: string[], dns: string[] = ['localhost']): LanNames => ({ ips: [...ips].sort(), dns: [...dns].sort() })

function served(port: number, ca: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, ca, path: '/', agent: false }, (res) => {
      resolve(new X509Certificate((res.socket as unknown as { getPeerCertificate(): { raw: Buffer } }).getPeerCertificate().raw).serialNumber)
      res.resume()
    })
    req.on('error', reject)
    req.end()
  })
}

describe('local CA', () => {
  it('[HUB33] the server certificate is re-issued when the addresses change or it nears expiry, and kept otherwise', () => {
    const dir = fresh()
    const ca = ensureLocalCa(dir)
    const now = new Date()
    const a = ensureServerCert(ca, names(['127.0.0.1', '192.168.1.20']), now)
    expect(a.issued).toBe(true)
    expect(new X509Certificate(a.certPem).checkIP('192.168.1.20')).toBe('192.168.1.20')
    expect(new X509Certificate(a.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true)
    expect(ensureServerCert(ca, names(['127.0.0.1', '192.168.1.20']), now).issued).toBe(false)
    // A new DHCP lease: the old address is gone from the certificate, the new one is in it.
    const b = ensureServerCert(ca, names(['127.0.0.1', '192.168.1.31']), now)
    expect(b.issued).toBe(true)
    expect(new X509Certificate(b.certPem).checkIP('192.168.1.31')).toBe('192.168.1.31')
    expect(new X509Certificate(b.certPem).checkIP('192.168.1.20')).toBeUndefined()
    // Near the end of its life (less than RENEW_BEFORE_MS left): a new one.
    const late = new Date(now.getTime() + SERVER_VALID_DAYS * 86_400_000 - RENEW_BEFORE_MS + 60_000)
    expect(ensureServerCert(ca, names(['127.0.0.1', '192.168.1.31']), late).issued).toBe(true)
  })

  it('[HUB33] a running server swaps to the new certificate when its addresses change, without a restart', async () => {
    const dir = fresh()
    let current = lanNames(['hub.bar.lan'])
    const setup = prepareTls({ mode: 'local', names: [] }, dir)!
    const server = createServer({ cert: setup.certPem, key: setup.keyPem }, (_req, res) => res.end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    try {
      const ca = setup.ca!.certPem
      const before = await served(port, ca)
      const swaps: LanNames[] = []
      current = setup.names!
      const watch = watchLocalTls(setup, { mode: 'local', names: [] }, server, (n) => swaps.push(n), 3_600_000, () => current)
      expect(watch.check()).toBe(false)
      current = names([...setup.names!.ips, '10.9.8.7'], [...setup.names!.dns])
      expect(watch.check()).toBe(true)
      watch.stop()
      expect(swaps).toHaveLength(1)
      const after = await served(port, ca)
      expect(after).not.toBe(before)
      expect(new X509Certificate(readFileSync(join(dir, 'tls', 'server.crt'))).checkIP('10.9.8.7')).toBe('10.9.8.7')
    } finally {
      server.close()
    }
  })

  it('[HUB30] half a CA (the key without its certificate) stops the start instead of silently making a new one', () => {
    const dir = fresh()
    const ca = ensureLocalCa(dir)
    const pem = ca.certPem
    unlinkSync(join(dir, 'ca.crt'))
    expect(() => ensureLocalCa(dir)).toThrow(ConfigError)
    expect(() => ensureLocalCa(dir)).toThrow(/ca\.crt is missing while its pair is there/)
    writeFileSync(join(dir, 'ca.crt'), pem)
    expect(ensureLocalCa(dir).fingerprint).toBe(ca.fingerprint)
  })

  it('[HUB35] TLS defaults: off for a relay, local for a hub (UPSTREAM_URL), TLS=off wins, files with TLS_CERT+TLS_KEY, typos name the variable', () => {
    expect(tlsConfig({}).mode).toBe('off')
    expect(tlsConfig({ UPSTREAM_URL: 'wss://central:8787' }).mode).toBe('local')
    expect(tlsConfig({ UPSTREAM_URL: 'wss://central:8787', TLS: 'off' }).mode).toBe('off')
    expect(tlsConfig({ TLS: 'local', TLS_NAMES: 'hub.bar.lan, 10.0.0.9' })).toEqual({ mode: 'local', names: ['hub.bar.lan', '10.0.0.9'] })
    expect(tlsConfig({ TLS_CERT: 'a.crt', TLS_KEY: 'a.key' }).mode).toBe('files')
    const err = (env: NodeJS.ProcessEnv) => {
      try {
        tlsConfig(env)
      } catch (e) {
        return e instanceof ConfigError ? `${e.variable}: ${e.message}` : String(e)
      }
      return 'no error'
    }
    expect(err({ TLS: 'yes please' })).toMatch(/^TLS: TLS must be off, local .* or files/)
    expect(err({ TLS_CERT: 'a.crt' })).toMatch(/^TLS_KEY: TLS_CERT is set but TLS_KEY is not/)
    expect(err({ TLS_KEY: 'a.key' })).toMatch(/^TLS_CERT: TLS_KEY is set but TLS_CERT is not/)
    expect(err({ TLS: 'off', TLS_CERT: 'a', TLS_KEY: 'b' })).toMatch(/^TLS: TLS=off but TLS_CERT\/TLS_KEY are set/)
    expect(err({ TLS: 'files' })).toMatch(/^TLS_CERT: TLS=files needs TLS_CERT and TLS_KEY/)
    expect(err({ TLS: 'local', TLS_NAMES: 'a b' })).toMatch(/^TLS_NAMES:/)
  })
})
