/** Serves the built web app: /pos and /admin are one single-page app with an offline shell. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Context, Hono } from 'hono'
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

export function serveWeb(app: Hono, dist: string): void {
  const index = join(dist, 'index.html')
  const shell = (c: Context) => {
    c.header('Cache-Control', 'no-cache')
    return existsSync(index) ? c.html(readFileSync(index, 'utf8')) : c.text('web app not built: run npm run build:web', 503)
  }
  app.get('/', (c) => c.redirect('/pos'))
  app.use('/*', serveStatic({ root: dist, precompressed: true, onFound: (path, c) => c.header('Cache-Control', cacheControl(path)) }))
  // Client-side routes fall back to the app shell.
  for (const path of ['/pos', '/pos/*', '/admin', '/admin/*']) app.get(path, shell)
}
