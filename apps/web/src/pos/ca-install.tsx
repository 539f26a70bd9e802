import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'

/** Where the relay serves its local CA's certificate (apps/relay/src/web.ts). */
export const CA_CERT_PATH = '/ca.crt'
export const CA_PAGE_PATH = '/pos/ca'

/**
 * How to trust a store hub's own certificate authority, per platform, with the file and
 * its fingerprint. Reached before pairing (a terminal that does not trust the hub yet
 * opens it past the browser's warning, once). The fingerprint comes from the relay's
 * header, so it can be compared with the one the hub printed at startup.
 */
export function CaInstall() {
  const { t } = useTranslation()
  const [fingerprint, setFingerprint] = useState<string | null | undefined>(undefined)
  useEffect(() => {
    let live = true
    fetch(CA_CERT_PATH, { method: 'HEAD', cache: 'no-store' }).then(
      (r) => live && setFingerprint(r.ok ? (r.headers.get('x-ca-sha256') ?? '') : null),
      () => live && setFingerprint(null),
    )
    return () => {
      live = false
    }
  }, [])
  return (
    <main className="pairing" data-testid="ca-install">
      <section className="card">
        <h1>{t('ca.title')}</h1>
        {fingerprint === null ? (
          <p className="alert alert-warning" data-testid="ca-unavailable">
            {t('ca.unavailable')}
          </p>
        ) : (
          <>
            <p>{t('ca.intro')}</p>
            <p>
              <a className="btn btn-primary" href={CA_CERT_PATH} download="tally-local-ca.crt" data-testid="ca-download">
                {t('ca.download')}
              </a>
            </p>
            {fingerprint !== undefined && fingerprint !== '' && (
              <p className="hint">
                {t('ca.fingerprint')} <code data-testid="ca-fingerprint">{fingerprint}</code>
              </p>
            )}
            <ul>
              <li>{t('ca.android')}</li>
              <li>{t('ca.ios')}</li>
              <li>{t('ca.windows')}</li>
              <li>{t('ca.macos')}</li>
            </ul>
            <p>{t('ca.after')}</p>
          </>
        )}
        <p>
          <a href="/pos">{t('ca.back')}</a>
        </p>
      </section>
    </main>
  )
}
