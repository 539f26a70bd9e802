/**
 * TLS_CERT / TLS_KEY: a certificate the operator brings (from the company's CA, or a
 * public one for a real name). Checked at start, each problem one line naming the
 * variable: a file that cannot be read, one that is not PEM, a key of another
 * certificate. An expired certificate still starts (the relay must come up at 2 a.m.)
 * but the banner says so, because every browser will refuse it.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../config.ts'

export interface TlsFiles {
  readonly certPem: string
  readonly keyPem: string
  readonly notAfter: Date
  readonly warnings: readonly string[]
}

function read(variable: 'TLS_CERT' | 'TLS_KEY', path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : (e.code ?? String(err))
    throw new ConfigError(variable, `${variable} ${path} cannot be read (${why}); set ${variable} to a readable PEM file`)
  }
}

export function loadTlsFiles(certPath: string, keyPath: string, now: Date = new Date()): TlsFiles {
  const certPem = read('TLS_CERT', certPath)
  const keyPem = read('TLS_KEY', keyPath)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch {
    throw new ConfigError('TLS_CERT', `TLS_CERT ${certPath} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey(keyPem)
  } catch {
    throw new ConfigError('TLS_KEY', `TLS_KEY ${keyPath} is not a PEM private key (or it is encrypted; the relay needs it without a passphrase)`)
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError('TLS_KEY', `TLS_KEY ${keyPath} is not the key of the certificate in TLS_CERT ${certPath}; give the key that was made with that certificate`)
  }
  const notAfter = new Date(cert.validTo)
  const warnings = notAfter.getTime() <= now.getTime() ? [`the certificate in TLS_CERT expired on ${notAfter.toISOString().slice(0, 10)}; browsers will refuse it until it is renewed`] : []
  return { certPem, keyPem, notAfter, warnings }
}
