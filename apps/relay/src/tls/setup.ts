/**
 * HTTPS for the relay, from its configuration: nothing (TLS=off), the operator's files
 * (TLS_CERT/TLS_KEY), or the local CA in DATA_DIR (TLS=local). In local mode a timer
 * re-checks the machine's addresses and the certificate's expiry and, when either
 * calls for it, issues a new certificate and swaps it into the running server: a hub
 * whose DHCP lease changes keeps serving without a restart.
 */
import type { Server as HttpsServer } from 'node:https'
import { join } from 'node:path'
import type { TlsConfig } from '../config.ts'
import { lanNames, sameNames, type LanNames } from './lan-names.ts'
import { ensureLocalCa, ensureServerCert, RENEW_BEFORE_MS, type LocalCa } from './local-ca.ts'
import { loadTlsFiles } from './tls-files.ts'

/** How often local mode looks at the addresses and the certificate's expiry. */
export const DEFAULT_TLS_CHECK_MS = 60_000

export interface TlsSetup {
  readonly mode: 'local' | 'files'
  readonly certPem: string
  readonly keyPem: string
  /** Local mode: the CA terminals install. */
  readonly ca: LocalCa | null
  /** Local mode: the names the current server certificate carries. */
  readonly names: LanNames | null
  readonly notAfter: Date
  readonly warnings: readonly string[]
}

/**
 * What the server presents: its certificate, then the CA's. A client that trusts the CA
 * needs only the first; sending the CA too lets a client that pins the CA's key (a
 * browser started with an SPKI allow-list, a script) recognise the chain.
 */
function chain(serverPem: string, ca: LocalCa): string {
  return `${serverPem.trimEnd()}\n${ca.certPem.trimEnd()}\n`
}

export function tlsDir(dataDir: string): string {
  return join(dataDir, 'tls')
}

export function prepareTls(tls: TlsConfig, dataDir: string, now: Date = new Date()): TlsSetup | null {
  switch (tls.mode) {
    case 'off':
      return null
    case 'files': {
      const f = loadTlsFiles(tls.cert, tls.key, now)
      return { mode: 'files', certPem: f.certPem, keyPem: f.keyPem, ca: null, names: null, notAfter: f.notAfter, warnings: f.warnings }
    }
    case 'local': {
      const ca = ensureLocalCa(tlsDir(dataDir), now)
      const names = lanNames(tls.names)
      const s = ensureServerCert(ca, names, now)
      return { mode: 'local', certPem: chain(s.certPem, ca), keyPem: s.keyPem, ca, names, notAfter: s.notAfter, warnings: [] }
    }
    default: {
      const never: never = tls
      return never
    }
  }
}

export interface TlsWatch {
  stop(): void
  /** Run one check now (tests, and a SIGHUP if the operator wants one). */
  check(now?: Date): boolean
}

/**
 * Local mode only: keep the server certificate matching the machine's addresses and in
 * date. `onReissue` hears each swap (the log line says which names it now carries).
 */
export function watchLocalTls(
  setup: TlsSetup,
  tls: Extract<TlsConfig, { mode: 'local' }>,
  server: HttpsServer,
  onReissue: (names: LanNames, notAfter: Date) => void,
  intervalMs = DEFAULT_TLS_CHECK_MS,
  currentNames: () => LanNames = () => lanNames(tls.names),
): TlsWatch {
  let names = setup.names as LanNames
  let notAfter = setup.notAfter
  const ca = setup.ca as LocalCa
  const check = (now: Date = new Date()): boolean => {
    const current = currentNames()
    if (sameNames(current, names) && notAfter.getTime() - now.getTime() >= RENEW_BEFORE_MS) return false
    const s = ensureServerCert(ca, current, now)
    server.setSecureContext({ cert: chain(s.certPem, ca), key: s.keyPem })
    names = current
    notAfter = s.notAfter
    onReissue(current, s.notAfter)
    return true
  }
  const timer = setInterval(() => {
    try {
      check()
    } catch {
      // A failed re-issue keeps the certificate in use; the next tick tries again.
    }
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), check }
}
