/**
 * What the relay sends a terminal loading /pos: compressed assets when asked, hashed
 * files cached for good, and the shell and service worker revalidated each time so an
 * update reaches every terminal. A real build and a real relay over HTTP.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { buildWeb, WEB_DIST } from '../apps/web/scripts/build.ts'

/** node:http, not fetch: fetch would decode the body and hide what was on the wire. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
      .on('error', reject)
      .end()
  })
}

describe('web app served by the relay', () => {
  let database: TestDatabase
  let relay: TestRelay
  let entry: string
  beforeAll(async () => {
    await buildWeb()
    database = await testBackends()[0]!.open()
    relay = await startTestRelay({ database, webDist: WEB_DIST })
    entry = readdirSync(join(WEB_DIST, 'assets')).find((f) => /^index-.*\.js$/.test(f))!
  })
  afterAll(async () => {
    await relay?.close()
    await database?.cleanup()
  })

  it('[APP3] a hashed asset comes back brotli- or gzip-encoded as negotiated, identical once decoded, and cached immutable', async () => {
    const raw = readFileSync(join(WEB_DIST, 'assets', entry))
    const url = `${relay.httpUrl}/assets/${entry}`
    const br = await get(url, { 'accept-encoding': 'gzip, deflate, br' })
    expect(br.status).toBe(200)
    expect(br.headers['content-encoding']).toBe('br')
    expect(br.headers['vary']).toContain('Accept-Encoding')
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(br.body.length).toBeLessThan(raw.length / 2)
    expect(brotliDecompressSync(br.body).equals(raw)).toBe(true)

    const gz = await get(url, { 'accept-encoding': 'gzip' })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gz.body).equals(raw)).toBe(true)

    const plain = await get(url)
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body.equals(raw)).toBe(true)
  })

  it('[APP3] the shell, the service worker and the manifest are revalidated on every load (no-cache)', async () => {
    for (const path of ['/pos', '/admin', '/sw.js', '/manifest.webmanifest', '/registerSW.js']) {
      const r = await get(relay.httpUrl + path, { 'accept-encoding': 'br' })
      expect(r.status, path).toBe(200)
      expect(r.headers['cache-control'], path).toBe('no-cache')
    }
  })

  it('[APP4] the manifest installs as a full PWA: id, lang, 192 and 512 PNG icons, a maskable one, and an apple-touch-icon', async () => {
    const m = JSON.parse((await get(`${relay.httpUrl}/manifest.webmanifest`)).body.toString()) as {
      id: string
      lang: string
      icons: Array<{ src: string; sizes: string; type: string; purpose: string }>
    }
    expect(m.id).toBe('/pos')
    expect(m.lang).toBe('es')
    const shell = (await get(`${relay.httpUrl}/pos`)).body.toString()
    const touch = /<link rel="apple-touch-icon" href="([^"]+)"/.exec(shell)?.[1]
    expect(touch).toBeDefined()
    const pngs = [...m.icons.filter((i) => i.type === 'image/png'), { src: touch!, sizes: '180x180', type: 'image/png', purpose: 'any' }]
    for (const size of ['192x192', '512x512']) expect(pngs.some((i) => i.sizes === size && i.purpose === 'any'), size).toBe(true)
    expect(pngs.some((i) => i.purpose === 'maskable')).toBe(true)
    for (const icon of pngs) {
      const r = await get(relay.httpUrl + icon.src)
      expect(r.status, icon.src).toBe(200)
      expect(r.headers['content-type'], icon.src).toBe('image/png')
      // The PNG header says its real size (IHDR: width and height, big-endian, at 16 and 20).
      expect(`${r.body.readUInt32BE(16)}x${r.body.readUInt32BE(20)}`, icon.src).toBe(icon.sizes)
    }
  })
})
