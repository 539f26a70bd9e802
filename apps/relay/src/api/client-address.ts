/**
 * The client's address, for per-address login throttling and the operator's audit rows.
 * Behind TLS termination every request comes from the proxy, so with `TRUST_PROXY=n`
 * (n proxies in front, each appending to X-Forwarded-For) the address is the entry the
 * nearest trusted proxy saw; entries further left are the client's own claims and are
 * never believed. Without a socket (`app.request()` in tests with no env) it is `unknown`.
 */
import type { Context } from 'hono'

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } } | undefined

export function clientAddress(c: Context, trustProxy: number): string {
  const socket = (c.env as NodeEnv)?.incoming?.socket?.remoteAddress ?? 'unknown'
  if (trustProxy <= 0) return socket
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  // With n trusted proxies, the last n entries were written by them; the n-th from the right is the client.
  const seen = hops[hops.length - trustProxy]
  return seen !== undefined && seen.length <= 64 ? seen : socket
}
