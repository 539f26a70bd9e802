/**
 * HTTPS on the LAN with the relay's own CA (TLS=local): made once in DATA_DIR and kept
 * across restarts (HUB30), serving https and wss whose certificate verifies against the
 * CA it serves at /ca.crt, for loopback and for the machine's LAN address (HUB31), to a
 * stock y-websocket client too (HUB32); TLS_CERT/TLS_KEY files served as given (HUB34).
 * Every case runs `npm start`'s real entry point.
 */
import { readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type DetailedPeerCertificate } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { uuidv7 } from '@tally/schema'
import { signToken } from '@tally/relay/auth'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from './helpers/spawn-relay.ts'
import { until } from './helpers/raw-client.ts'

const root = mkdtempSync(join(tmpdir(), 'tally-tls-'))

/** The machine's first non-loopback IPv4 address (what a terminal on the LAN types). */
function lanIp(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address
  return undefined
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(host: string, port: number, path: string, ca: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, ca, method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The certificate a TLS handshake to host:port presents, verified against `ca`. */
function peer(host: string, port: number, ca: string): Promise<DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, ca, servername: /^[\d.]+$/.test(host) ? undefined : host }, () => {
      const cert = s.getPeerCertificate(true)
      s.end()
      resolve(cert)
    })
    s.on('error', reject)
  })
}

describe('TLS=local: the relay’s own CA', () => {
  const dataDir = join(root, 'hub')
  let relay: SpawnedRelay | undefined
  afterAll(async () => {
    await relay?.kill('SIGTERM')
    rmSync(root, { recursive: true, force: true })
  })

  it('[HUB30] the first start makes the CA (key 0600, never served) and a restart keeps it: same certificate, same fingerprint', async () => {
    relay = await spawnRelay({ TLS: 'local', HOST: '0.0.0.0', DATA_DIR: dataDir })
    const caPem = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')
    const serverPem = readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8')
    expect(statSync(join(dataDir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'tls', 'server.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'tls')).mode & 0o777).toBe(0o700)
    const first = relay.stdout()
    expect(first).toMatch(/HTTPS:\s+local CA created now in .*tls\/ca\.crt/)
    expect(first).toMatch(/every terminal must install it once: https:\/\/.*\/pos\/ca/)
    const fingerprint = /SHA-256 ([0-9A-F:]{95})/.exec(first)?.[1]
    expect(fingerprint).toBeDefined()

    const served = await get('127.0.0.1', relay.port, '/ca.crt', caPem)
    expect(served.status).toBe(200)
    expect(served.headers['content-type']).toBe('application/x-x509-ca-cert')
    expect(served.body).toBe(caPem)
    expect(served.headers['x-ca-sha256']).toBe(fingerprint)
    // The key is nowhere on the web: no path serves it.
    expect((await get('127.0.0.1', relay.port, '/ca.key', caPem)).body).not.toContain('PRIVATE KEY')
    await relay.kill('SIGTERM')

    relay = await spawnRelay({ TLS: 'local', HOST: '0.0.0.0', DATA_DIR: dataDir })
    expect(relay.stdout()).toMatch(/HTTPS:\s+local CA kept in/)
    expect(relay.stdout()).toContain(`SHA-256 ${fingerprint}`)
    expect(readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')).toBe(caPem)
    // Same addresses, far from expiry: the server certificate is kept too.
    expect(readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8')).toBe(serverPem)
  }, 180_000)

  it('[HUB31] https verifies against the served CA for 127.0.0.1 and for the LAN address, and fails without it', async () => {
    if (!relay) throw new Error('needs the relay of HUB30')
    const caPem = (await get('127.0.0.1', relay.port, '/ca.crt', readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8'))).body
    const hosts = ['127.0.0.1', 'localhost', ...(lanIp() ? [lanIp() as string] : [])]
    expect(hosts.length, 'this machine has a LAN address to test with').toBe(3)
    for (const host of hosts) {
      const health = await get(host, relay.port, '/healthz', caPem)
      expect(health.status, host).toBe(200)
      const cert = await peer(host, relay.port, caPem)
      expect(cert.subjectaltname, host).toContain(/^[\d.]+$/.test(host) ? `IP Address:${host}` : `DNS:${host}`)
      expect(cert.issuerCertificate?.fingerprint256, host).toBe(relay.stdout().match(/SHA-256 ([0-9A-F:]{95})/)?.[1])
    }
    // Without the CA the same request is refused: the verification above is real.
    await expect(get('127.0.0.1', relay.port, '/healthz', undefined)).rejects.toThrow(/self[- ]signed|unable to (get|verify)|UNABLE_TO/i)
  }, 60_000)

  it('[HUB32] a stock y-websocket client syncs over wss with the CA trusted, on the LAN address', async () => {
    if (!relay) throw new Error('needs the relay of HUB30')
    const caPem = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')
    const host = lanIp() ?? '127.0.0.1'
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'stock' })
    // y-websocket constructs the socket itself; the subclass only adds the trusted CA.
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca: caPem })
      }
    }
    const name = `store1/cart/${uuidv7()}`
    const open = (doc: Y.Doc) =>
      new WebsocketProvider(`wss://${host}:${relay!.port}/sync`, name, doc, { params: { token }, WebSocketPolyfill: TrustingWebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
    const a = open(new Y.Doc())
    const b = open(new Y.Doc())
    a.doc.getMap('lines').set('beer', 350)
    await until(() => b.doc.getMap('lines').get('beer') === 350, 'the line at the second provider over wss')
    expect(a.wsconnected && b.wsconnected).toBe(true)
    a.destroy()
    b.destroy()
  }, 60_000)

  it('[HUB34] TLS_CERT/TLS_KEY: the given certificate is served as is, and no /ca.crt (the CA is not ours)', async () => {
    if (!relay) throw new Error('needs the data dir of HUB30')
    await relay.kill('SIGTERM')
    relay = undefined
    const tlsDir = join(dataDir, 'tls')
    const files = await spawnRelay({ DATA_DIR: join(root, 'files'), TLS_CERT: join(tlsDir, 'server.crt'), TLS_KEY: join(tlsDir, 'server.key') })
    try {
      const caPem = readFileSync(join(tlsDir, 'ca.crt'), 'utf8')
      expect(files.httpUrl).toMatch(/^https:/)
      expect(files.stdout()).toMatch(/HTTPS:\s+certificate from TLS_CERT, valid until \d{4}-\d\d-\d\d/)
      expect((await get('127.0.0.1', files.port, '/healthz', caPem)).status).toBe(200)
      const cert = await peer('127.0.0.1', files.port, caPem)
      expect(cert.raw.toString('base64')).toBe(
        readFileSync(join(tlsDir, 'server.crt'), 'utf8')
          .replace(/-----[A-Z ]+-----/g, '')
          .replace(/\s+/g, ''),
      )
      expect((await get('127.0.0.1', files.port, '/ca.crt', caPem)).status).toBe(404)
    } finally {
      await files.kill('SIGTERM')
    }
  }, 120_000)
})
