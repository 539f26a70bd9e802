/**
 * A TLS problem stops the start with one line naming the variable to fix (HUB34):
 * an unreadable TLS_CERT, a file that is not a certificate, a TLS_KEY of another
 * certificate, half a pair. Each case runs `npm start`'s real entry point; no port is
 * opened before the certificates are checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureLocalCa, ensureServerCert } from '../apps/relay/src/tls/local-ca.ts'
import { runToExit } from './helpers/run-to-exit.ts'

const root = mkdtempSync(join(tmpdir(), 'tally-tls-errors-'))
const a = ensureLocalCa(join(root, 'a'))
const b = ensureLocalCa(join(root, 'b'))
const names = { ips: ['127.0.0.1'], dns: ['localhost'] }
ensureServerCert(a, names)
ensureServerCert(b, names)
const notPem = join(root, 'not.pem')
writeFileSync(notPem, 'hello, I am not a certificate\n')

describe('TLS startup errors', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it.each([
    ['TLS_CERT missing file', { TLS_CERT: join(root, 'nope.crt'), TLS_KEY: join(root, 'a', 'server.key') }, /TLS_CERT .*nope\.crt cannot be read \(no such file\)/],
    ['TLS_CERT not PEM', { TLS_CERT: notPem, TLS_KEY: join(root, 'a', 'server.key') }, /TLS_CERT .*not\.pem is not a PEM certificate/],
    ['TLS_KEY not a key', { TLS_CERT: join(root, 'a', 'server.crt'), TLS_KEY: notPem }, /TLS_KEY .*not\.pem is not a PEM private key/],
    ['TLS_KEY of another certificate', { TLS_CERT: join(root, 'a', 'server.crt'), TLS_KEY: join(root, 'b', 'server.key') }, /TLS_KEY .*b\/server\.key is not the key of the certificate in TLS_CERT .*a\/server\.crt/],
    ['TLS_CERT without TLS_KEY', { TLS_CERT: join(root, 'a', 'server.crt') }, /TLS_CERT is set but TLS_KEY is not/],
    ['TLS typo', { TLS: 'lokal' }, /TLS must be off, local .* got "lokal"/],
  ])('[HUB34] %s: one line naming the variable, exit 1', async (_what, env, pattern) => {
    const r = await runToExit({ DATA_DIR: join(root, `run-${Math.random().toString(36).slice(2)}`), ...env })
    expect(r.code, r.stderr).toBe(1)
    expect(r.lines, r.stderr).toHaveLength(1)
    expect(r.lines[0]).toMatch(/^Tally cannot start: /)
    expect(r.lines[0]).toMatch(pattern)
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/)
  }, 90_000)
})
