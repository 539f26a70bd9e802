/**
 * A TCP proxy on loopback between a client (the relay) and a server (Postgres) whose
 * link can be cut for real: `cut()` destroys every connection through it and refuses new
 * ones (accepted, then closed at once, as a firewall reject would), so the client's
 * driver sees its connections die and cannot reconnect. `restore()` lets new ones through.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net'

export interface CutProxy {
  readonly port: number
  cut(): void
  restore(): void
  /** Connections passed through so far. */
  readonly connections: number
  close(): Promise<void>
}

export async function cutProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<CutProxy> {
  const links = new Set<{ down: Socket; up: Socket }>()
  let isCut = false
  let connections = 0
  const server = createServer((down) => {
    down.on('error', () => {})
    if (isCut) return void down.destroy()
    connections++
    const up = createConnection({ host: targetHost, port: targetPort })
    up.on('error', () => {})
    const link = { down, up }
    links.add(link)
    down.pipe(up)
    up.pipe(down)
    const drop = () => {
      links.delete(link)
      down.destroy()
      up.destroy()
    }
    down.on('close', drop)
    up.on('close', drop)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const cut = () => {
    isCut = true
    for (const l of [...links]) {
      l.down.destroy()
      l.up.destroy()
    }
    links.clear()
  }
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections
    },
    cut,
    restore() {
      isCut = false
    },
    async close() {
      cut()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
