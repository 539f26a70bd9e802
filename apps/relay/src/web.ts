/** Serves the built web app: /pos and /admin are one single-page app with an offline shell. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Context, Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { serveStatic } from '@hono/node-server/serve-static'

/**
 * Hashed files (`/assets/name-<hash>.js`, `workbox-<hash>.js`) never change under their
 * name: a year, immutable. Everything else (the shell, the service worker, the manifest,
 * icons) must be asked again each time, or a terminal would keep an old app after an
 * update: `no-cache` (stored, but revalidated before use).
 */
export function cacheControl(path: string): string {
  return /\/assets\/|\/workbox-[0-9a-f]{8}\.js$/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'
}

/**
 * The app's Content-Security-Policy. The build has no inline script or style (Vite
 * emits files; the service worker registers from /registerSW.js), and the sync socket,
 * the API and the live feed are all this origin, so 'self' covers everything: an
 * injected script from anywhere else does not run, and no other site may frame the
 * terminal (clickjacking a checkout). Data and blob images are the icon and CSV exports.
 */
export const WEB_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'"],
  manifestSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/**
 * `connect`: other relays the terminal may fail over to (central behind a store hub):
 * their ws(s) origins join connect-src, so the page may open its backup socket there.
 */
export function serveWeb(app: Hono, dist: string, connect: readonly string[] = []): void {
  const index = join(dist, 'index.html')
  const shell = (c: Context) => {
    c.header('Cache-Control', 'no-cache')
    return existsSync(index) ? c.html(readFileSync(index, 'utf8')) : c.text('web app not built: run npm run build:web', 503)
  }
  // Registered after the API, so these run for the web app's paths (the API sets its own).
  const csp = connect.length === 0 ? WEB_CSP : { ...WEB_CSP, connectSrc: ["'self'", ...connect] }
  app.use('/*', secureHeaders({ contentSecurityPolicy: csp, xFrameOptions: 'DENY', referrerPolicy: 'same-origin' }))
  app.get('/', (c) => c.redirect('/pos'))
  app.use('/*', serveStatic({ root: dist, precompressed: true, onFound: (path, c) => c.header('Cache-Control', cacheControl(path)) }))
  // Client-side routes fall back to the app shell.
  for (const path of ['/pos', '/pos/*', '/admin', '/admin/*']) app.get(path, shell)
}

/** Where the local CA's certificate is served, and the web app's page that explains installing it. */
export const CA_CERT_PATH = '/ca.crt'
export const CA_PAGE_PATH = '/pos/ca'

/**
 * The local CA's certificate (TLS=local), for terminals to install: PEM, which Android,
 * iOS, Windows and macOS all accept, as a download named after the store hub. Public by
 * design (it is a certificate, not a key); its SHA-256 is in a header so a script can
 * compare it with the one the startup banner printed.
 */
export function serveCaCertificate(app: Hono, pem: string, fingerprint: string): void {
  app.get(CA_CERT_PATH, (c) =>
    c.body(pem, 200, {
      'content-type': 'application/x-x509-ca-cert',
      'content-disposition': 'attachment; filename="tally-local-ca.crt"',
      'cache-control': 'no-cache',
      'x-ca-sha256': fingerprint,
    }),
  )
}
