/**
 * A TCP proxy on loopback (node:net) that can make the network silently die: after
 * `blackhole()`, bytes in both directions are dropped and neither side is closed or
 * reset, as when a NAT forgets the connection or a cable is pulled at the far end.
 * Connections made while blackholed are accepted and hear nothing (a SYN that got
 * through to a dead path). `heal()` lets new connections through; connections that
 * were blackholed stay dead, as they would after a real outage.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net'

export interface BlackholeProxy {
  readonly port: number
  /** ws://127.0.0.1:port */
  readonly wsUrl: string
  blackhole(): void
  heal(): void
  /** Upstream (relay-side) sockets the relay closed, with when; a blackholed proxy never passes that on. */
  readonly upstreamClosed: number[]
  /** Connections made through the proxy so far. */
  readonly connections: number
  close(): Promise<void>
}

export async function blackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  const links = new Set<{ down: Socket; up: Socket; dead: boolean }>()
  const upstreamClosed: number[] = []
  let black = false
  let connections = 0
  const server = createServer((down) => {
    connections++
    const up = createConnection({ host: '127.0.0.1', port: targetPort })
    const link = { down, up, dead: black }
    links.add(link)
    down.on('data', (b) => {
      if (!link.dead) up.write(b)
    })
    up.on('data', (b) => {
      if (!link.dead) down.write(b)
    })
    // Closes travel only while the path is alive; a dead path passes nothing, FIN included.
    down.on('end', () => {
      if (!link.dead) up.end()
    })
    up.on('end', () => {
      if (!link.dead) down.end()
    })
    up.on('close', () => {
      upstreamClosed.push(Date.now())
      if (!link.dead) down.destroy()
      if (link.dead && down.destroyed) links.delete(link)
    })
    down.on('close', () => {
      if (!link.dead) up.destroy()
    })
    down.on('error', () => {})
    up.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    upstreamClosed,
    get connections() {
      return connections
    },
    blackhole() {
      black = true
      for (const l of links) l.dead = true
    },
    heal() {
      black = false
    },
    async close() {
      for (const l of links) {
        l.down.destroy()
        l.up.destroy()
      }
      links.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
