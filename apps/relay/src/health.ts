/**
 * Liveness and readiness routes. `/healthz` answers while the process runs (a restart
 * would not bring the database back); `/readyz` answers 200 only when every readiness
 * check passed within its bound, else 503 with what is down. Both are public, like
 * `/metrics`, and carry no secret.
 */
import type { Hono } from 'hono'
import type { Readiness } from './readiness.ts'

export function mountHealth(app: Hono, readiness: Readiness, info: { database: string; loadedDocuments: () => number }): void {
  app.get('/healthz', (c) => c.json({ ok: true, alive: true, database: info.database, loadedDocuments: info.loadedDocuments() }))
  app.get('/readyz', async (c) => {
    const report = await readiness.probe()
    c.header('cache-control', 'no-store')
    return c.json(report, report.ready ? 200 : 503)
  })
}
