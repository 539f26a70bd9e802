import { Hono } from 'hono'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, webConnectSrc } from './config.ts'
import { serveWeb } from './web.ts'

const dist = mkdtempSync(join(tmpdir(), 'tally-dist-'))
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>t</title>')
afterAll(() => rmSync(dist, { recursive: true, force: true }))

describe('fallback relays in the page policy', () => {
  it('[HUB47] the page may open its backup socket to central: UPSTREAM_URL and WEB_CONNECT_SRC join connect-src, nothing else does', async () => {
    expect(webConnectSrc({})).toEqual([])
    expect(webConnectSrc({ UPSTREAM_URL: 'wss://central.example.com:8787/x', WEB_CONNECT_SRC: 'https://backup.example.com, ws://10.0.0.2:8787' })).toEqual([
      'wss://backup.example.com',
      'ws://10.0.0.2:8787',
      'wss://central.example.com:8787',
    ])
    expect(() => webConnectSrc({ WEB_CONNECT_SRC: 'central.example.com' })).toThrow(ConfigError)
    const app = new Hono()
    serveWeb(app, dist, ['wss://central.example.com:8787'])
    const csp = (await app.request('/pos')).headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/connect-src 'self' wss:\/\/central\.example\.com:8787(;|$)/)
    const plain = new Hono()
    serveWeb(plain, dist)
    expect((await plain.request('/pos')).headers.get('content-security-policy')).toMatch(/connect-src 'self'(;|$)/)
  })
})
