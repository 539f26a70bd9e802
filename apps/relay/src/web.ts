/** Serves the built web app: /pos and /admin are one single-page app with an offline shell. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Context, Hono } from 'hono'
import { serveStatic } from '@hono/node-server/serve-static'

export function serveWeb(app: Hono, dist: string): void {
  const index = join(dist, 'index.html')
  const shell = (c: Context) =>
    existsSync(index) ? c.html(readFileSync(index, 'utf8')) : c.text('web app not built: run npm run build:web', 503)
  app.get('/', (c) => c.redirect('/pos'))
  app.use('/*', serveStatic({ root: dist }))
  // Client-side routes fall back to the app shell.
  for (const path of ['/pos', '/pos/*', '/admin', '/admin/*']) app.get(path, shell)
}
