/**
 * The relay's own certificate authority, for HTTPS on a LAN without a public name: a CA
 * made once in `DATA_DIR/tls` (its key 0600, never served), whose certificate terminals
 * install, and a server certificate it signs for this machine's addresses. Browsers
 * register a service worker only on a secure origin, so without this a terminal loaded
 * from http://192.168.x.y cannot reload offline.
 *
 * The CA is never silently replaced: every installed terminal trusts this one. Half a
 * CA (a key without its certificate, or the reverse) stops the start with a clear line.
 * The server certificate is re-issued whenever the addresses change or it has less than
 * RENEW_BEFORE_MS left; it lives 397 days, within what Apple platforms accept.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import forge from 'node-forge'
import { ensurePrivateDir } from '@tally/schema/db'
import { ConfigError } from '../config.ts'
import { sameNames, type LanNames } from './lan-names.ts'

export const CA_VALID_DAYS = 3650
export const SERVER_VALID_DAYS = 397
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000
const DAY_MS = 24 * 3600 * 1000
/** Certificates start an hour back: a terminal whose clock runs a little slow still accepts them. */
const BACKDATE_MS = 3600 * 1000

export interface LocalCa {
  readonly dir: string
  readonly certPath: string
  readonly certPem: string
  /** SHA-256 of the CA certificate (DER), colon-separated hex: what an installer compares. */
  readonly fingerprint: string
  /** True when this start made the CA (the first start). */
  readonly created: boolean
  readonly cert: forge.pki.Certificate
  readonly key: forge.pki.rsa.PrivateKey
}

export interface ServerCert {
  readonly certPem: string
  readonly keyPem: string
  readonly names: LanNames
  readonly notAfter: Date
  /** True when this call issued it (false: the one on disk was still good). */
  readonly issued: boolean
}

export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

/** Write through a temporary file and rename, so a crash never leaves half a key. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, path)
}

function serial(): string {
  // Positive (leading nibble below 8), 16 bytes of randomness as RFC 5280 asks.
  return '0' + forge.util.bytesToHex(forge.random.getBytesSync(16)).slice(1)
}

function readOrFail(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError('DATA_DIR', `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix its permissions or restore it from a backup`)
  }
}

/** Load the CA from `dir`, or make it when neither of its files is there. */
export function ensureLocalCa(dir: string, now: Date = new Date()): LocalCa {
  try {
    ensurePrivateDir(dir)
  } catch (err) {
    throw new ConfigError('DATA_DIR', `${dir} cannot be made private (${(err as NodeJS.ErrnoException).code ?? String(err)}); set DATA_DIR to a directory this user can write`)
  }
  const certPath = join(dir, 'ca.crt')
  const keyPath = join(dir, 'ca.key')
  const hasCert = existsSync(certPath)
  const hasKey = existsSync(keyPath)
  if (hasCert !== hasKey) {
    const missing = hasCert ? keyPath : certPath
    throw new ConfigError('DATA_DIR', `${missing} is missing while its pair is there; restore it from a backup, or delete both ca.crt and ca.key in ${dir} to make a new CA (every terminal must then install the new one)`)
  }
  if (hasCert) {
    const certPem = readOrFail(certPath)
    const keyPem = readOrFail(keyPath)
    let cert: forge.pki.Certificate
    let key: forge.pki.rsa.PrivateKey
    try {
      cert = forge.pki.certificateFromPem(certPem)
      key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey
    } catch {
      throw new ConfigError('DATA_DIR', `the local CA in ${dir} cannot be read (ca.crt or ca.key is damaged); restore both from a backup, or delete both to make a new CA (every terminal must then install the new one)`)
    }
    if (!new X509Certificate(certPem).checkPrivateKey(createKeyObject(keyPem))) {
      throw new ConfigError('DATA_DIR', `${keyPath} is not the key of ${certPath}; restore the pair from a backup, or delete both to make a new CA`)
    }
    return { dir, certPath, certPem, fingerprint: fingerprintOf(certPem), created: false, cert, key }
  }
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS)
  cert.validity.notAfter = new Date(now.getTime() + CA_VALID_DAYS * DAY_MS)
  // A name of its own per machine and day: two hubs' CAs never look alike in a trust store.
  const subject = [
    { name: 'commonName', value: `Tally local CA ${hostname()} ${now.toISOString().slice(0, 10)}` },
    { name: 'organizationName', value: 'Tally store hub' },
  ]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  const certPem = forge.pki.certificateToPem(cert)
  // The key first: a crash between the two leaves a key without a certificate, which
  // the next start reports rather than silently replacing.
  writePrivate(keyPath, forge.pki.privateKeyToPem(keys.privateKey))
  writeFileSync(certPath, certPem, { mode: 0o600 })
  return { dir, certPath, certPem, fingerprint: fingerprintOf(certPem), created: true, cert, key: keys.privateKey }
}

/** node:crypto's own parser: the pair check must not rely on the library that wrote the key. */
function createKeyObject(pem: string) {
  return createPrivateKey(pem)
}

function namesOf(cert: forge.pki.Certificate): LanNames {
  const ext = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined
  const ips: string[] = []
  const dns: string[] = []
  for (const n of ext?.altNames ?? []) {
    if (n.type === 7 && n.ip) ips.push(n.ip.toLowerCase())
    else if (n.type === 2 && n.value) dns.push(n.value.toLowerCase())
  }
  return { ips: ips.sort(), dns: dns.sort() }
}

/** Whether the server certificate on disk is signed by `ca`, names exactly `names` and has time left. */
function stillGood(ca: LocalCa, certPem: string, names: LanNames, now: Date): forge.pki.Certificate | null {
  try {
    const cert = forge.pki.certificateFromPem(certPem)
    if (!ca.cert.verify(cert)) return null
    if (cert.validity.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return null
    if (cert.validity.notBefore.getTime() > now.getTime()) return null
    return sameNames(namesOf(cert), names) ? cert : null
  } catch {
    return null
  }
}

/** The server certificate for `names`: the one on disk while it is good, else a new one. */
export function ensureServerCert(ca: LocalCa, names: LanNames, now: Date = new Date()): ServerCert {
  const certPath = join(ca.dir, 'server.crt')
  const keyPath = join(ca.dir, 'server.key')
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = readFileSync(certPath, 'utf8')
    const keyPem = readFileSync(keyPath, 'utf8')
    const good = stillGood(ca, certPem, names, now)
    if (good && new X509Certificate(certPem).checkPrivateKey(createKeyObject(keyPem))) {
      return { certPem, keyPem, names, notAfter: good.validity.notAfter, issued: false }
    }
  }
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS)
  cert.validity.notAfter = new Date(now.getTime() + SERVER_VALID_DAYS * DAY_MS)
  cert.setSubject([
    { name: 'commonName', value: names.dns.find((n) => n !== 'localhost') ?? 'localhost' },
    { name: 'organizationName', value: 'Tally store hub' },
  ])
  cert.setIssuer(ca.cert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...names.dns.map((value) => ({ type: 2, value })), ...names.ips.map((ip) => ({ type: 7, ip }))] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ])
  cert.sign(ca.key, forge.md.sha256.create())
  const certPem = forge.pki.certificateToPem(cert)
  const keyPem = forge.pki.privateKeyToPem(keys.privateKey)
  writePrivate(keyPath, keyPem)
  writePrivate(certPath, certPem)
  return { certPem, keyPem, names, notAfter: cert.validity.notAfter, issued: true }
}

/** SHA-256 of a certificate's SubjectPublicKeyInfo, base64: what Chromium's SPKI allow-list takes. */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spki).digest('base64')
}
