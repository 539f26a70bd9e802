/**
 * The relay's REST API over its own HTTPS for tests (Node's fetch takes no CA): GET as
 * the store's service account. The certificate is not the point here (the browser and
 * tests/tls-local-ca.test.ts check it), so it is not verified.
 */
import { request } from 'node:https'
import { signToken } from '@tally/relay/auth'
import { SPAWN_SECRET } from '../helpers/spawn-relay.ts'
import { STORE } from './stack.ts'

export async function httpsApi<T>(origin: string, path: string): Promise<T> {
  const token = await signToken(SPAWN_SECRET, { role: 'service', store: STORE, sub: 'e2e-service' })
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/api/v1${path}`, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Until the relay at `origin` has projected every one of `ids`. */
export async function projectedOver(origin: string, ids: readonly string[], until: (what: string, fn: () => Promise<boolean>, ms?: number) => Promise<unknown>): Promise<void> {
  await until(`${ids.length} tickets projected at ${origin}`, async () => {
    const list = await httpsApi<Array<{ id: string }>>(origin, '/tickets?limit=1000').catch(() => [])
    return ids.every((id) => list.some((x) => x.id === id))
  }, 90_000)
}
