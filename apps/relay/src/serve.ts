/** Listen: the Hono app over node's http server, WebSockets on the same port. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Relay } from './app.ts'

export function listen(relay: Relay, port: number, host: string): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: relay.app.fetch, port, hostname: host }, (info: AddressInfo) => {
      relay.attach(server as Server)
      resolve({
        server: server as Server,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            ;(server as Server).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    }) as unknown as Server
    server.once('error', reject)
  })
}
