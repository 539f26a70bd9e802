/**
 * Listen: the Hono app over node's http server, WebSockets on the same port. The port is
 * bound first (`bind`), before the database is opened and migrated, so a port in use
 * fails at once and touches nothing; until the relay is mounted, requests are answered
 * 503 (`/readyz` says `starting`) and `/healthz` says the process is alive.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createAdaptorServer } from '@hono/node-server'
import type { Relay } from './app.ts'

/** The port or address cannot be listened on; names the variable to change. */
export class ListenError extends Error {
  override readonly name = 'ListenError'
  constructor(
    readonly variable: 'PORT' | 'HOST',
    message: string,
  ) {
    super(message)
  }
}

/** A certificate and its key (PEM) to serve HTTPS and wss with. */
export interface TlsPair {
  readonly cert: string
  readonly key: string
}

export interface Bound {
  /** An https.Server (also an http.Server to Node's types) when bound with TLS. */
  readonly server: Server
  readonly secure: boolean
  readonly port: number
  /** Start serving the relay's app and WebSockets on the bound port. */
  mount(relay: Relay): void
  close(): Promise<void>
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError('PORT', `port ${port} on ${host} is already in use (another relay or program listens there); stop it or set PORT to a free port`)
    case 'EACCES':
      return new ListenError('PORT', `this user may not listen on port ${port} (ports below 1024 need privileges); set PORT to 1024 or above`)
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError('HOST', `HOST ${host} is not an address of this machine; set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses`)
    default:
      return err
  }
}

function starting(req: Request): Response {
  const path = new URL(req.url).pathname
  if (path === '/healthz') return Response.json({ ok: true, alive: true, starting: true })
  const body = path === '/readyz' ? { ready: false, down: ['relay'], checks: { relay: { ok: false, ms: 0, error: 'starting' } } } : { error: { code: 'unavailable', message: 'the relay is starting' } }
  return Response.json(body, { status: 503, headers: { 'retry-after': '1' } })
}

export function bind(port: number, host: string, tls?: TlsPair): Promise<Bound> {
  let fetch: (req: Request) => Response | Promise<Response> = starting
  const server = (
    tls
      ? createAdaptorServer({ fetch: (req: Request) => fetch(req), hostname: host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })
      : createAdaptorServer({ fetch: (req: Request) => fetch(req), hostname: host })
  ) as Server
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host)))
    server.listen(port, host, () => {
      resolve({
        server,
        secure: tls !== undefined,
        port: (server.address() as AddressInfo).port,
        mount(relay) {
          fetch = relay.app.fetch
          relay.attach(server)
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
  })
}

/** The https.Server behind a Bound made with TLS (to swap its certificate). */
export function httpsServer(bound: Bound): HttpsServer | null {
  return bound.secure ? (bound.server as unknown as HttpsServer) : null
}

export async function listen(relay: Relay, port: number, host: string, tls?: TlsPair): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const bound = await bind(port, host, tls)
  bound.mount(relay)
  return bound
}
