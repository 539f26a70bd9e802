import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '@tally/schema/db'
import { startTestRelay, type TestRelay } from './testing.ts'

describe('security headers', () => {
  const dist = mkdtempSync(join(tmpdir(), 'tally-web-'))
  let database: Database
  let relay: TestRelay
  beforeAll(async () => {
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/app.js"></script>')
    writeFileSync(join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {})')
    database = await openDatabase({ dataDir: 'memory://' })
    relay = await startTestRelay({ database, webDist: dist })
  })
  afterAll(async () => {
    await relay?.close()
    await database?.close()
    rmSync(dist, { recursive: true, force: true })
  })

  it('[WEB1] /pos, /admin and the service worker carry a CSP (self only, frame-ancestors none), nosniff, DENY framing and a referrer policy; API answers too', async () => {
    for (const path of ['/pos', '/admin/reports', '/sw.js']) {
      const res = await relay.relay.app.request(path)
      expect([path, res.status]).toEqual([path, 200])
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("default-src 'self'")
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('referrer-policy')).toBe('same-origin')
    }
    const api = await relay.relay.app.request('/api/v1/me')
    expect(api.status).toBe(401)
    expect(api.headers.get('x-content-type-options')).toBe('nosniff')
    expect(api.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })
})
