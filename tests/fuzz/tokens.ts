/** The token a hostile input presents, by kind (see gen-wire.ts TokenKind). */
import { signToken } from '@tally/relay/auth'
import type { TokenKind } from './gen-wire.ts'
import type { RelayHost } from './host.ts'

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

export async function tokenOf(host: RelayHost, kind: TokenKind, garbage: string): Promise<string | null> {
  const exp = Math.floor(Date.now() / 1000) + 3600
  switch (kind) {
    case 'valid':
    case 'duplicate':
      return host.token({ store: 'store1', sub: 'mallory' })
    case 'valid-store2':
      return host.token({ store: 'store2', sub: 'mallory' })
    case 'admin':
      return host.token({ role: 'admin', store: 'store1', sub: 'mallory-admin' })
    case 'expired':
      return host.token({ store: 'store1', sub: 'mallory', ttlSeconds: -60 })
    case 'alg-none':
      return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ role: 'admin', store: 'store1', sub: 'mallory', exp })}.`
    case 'forged':
      return signToken('not-the-relay-secret', { role: 'admin', store: 'store1', sub: 'mallory' })
    case 'garbage':
      return garbage
    case 'missing':
      return null
  }
}
