/**
 * A loopback TCP proxy in front of the relay, one per terminal, so a test can break one
 * terminal's network without touching the others:
 *   cut        existing connections are reset and new ones refused (cable pulled, Wi-Fi off)
 *   blackhole  connections stay open but nothing gets through either way; new ones are
 *              accepted and hear nothing (a dead NAT entry, a captive portal). At heal the
 *              dead connections are reset, as a NAT finally does
 *   stall      nothing is forwarded but everything is kept and delivered in order at heal
 *              (a long radio stall): other terminals' traffic overtakes it
 *   open       forwarding
 * The upstream port can change (a relay restarted on another port); connections are
 * made to the current one.
 */
import net from 'node:net'

export type LinkState = 'open' | 'cut' | 'blackhole' | 'stall'

export interface TcpProxy {
  readonly port: number
  readonly url: string
  readonly state: LinkState
  set(state: LinkState): void
  /** Back to `open`. */
  heal(): void
  setUpstream(port: number): void
  /** Connections accepted so far (each client reconnect is one). */
  readonly accepted: number
  close(): Promise<void>
}

interface Pair {
  client: net.Socket
  upstream: net.Socket | null
  /** Bytes held while stalled, per direction, delivered in order at heal. */
  held: { up: Buffer[]; down: Buffer[] }
  dead: boolean
}

export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  let upstream = upstreamPort
  let state: LinkState = 'open'
  let accepted = 0
  const pairs = new Set<Pair>()

  const kill = (p: Pair): void => {
    pairs.delete(p)
    p.client.resetAndDestroy()
    p.upstream?.resetAndDestroy()
  }

  const server = net.createServer((client) => {
    accepted++
    client.setNoDelay(true)
    if (state === 'cut') {
      client.resetAndDestroy()
      return
    }
    const pair: Pair = { client, upstream: null, held: { up: [], down: [] }, dead: state === 'blackhole' }
    pairs.add(pair)
    client.on('error', () => kill(pair))
    client.on('close', () => kill(pair))
    const up = net.connect({ host: '127.0.0.1', port: upstream })
    up.setNoDelay(true)
    pair.upstream = up
    up.on('error', () => kill(pair))
    up.on('close', () => kill(pair))
    client.on('data', (b: Buffer) => forward(pair, 'up', b))
    up.on('data', (b: Buffer) => forward(pair, 'down', b))
  })

  function forward(p: Pair, dir: 'up' | 'down', b: Buffer): void {
    if (p.dead) return
    if (state === 'stall' || p.held[dir].length > 0) {
      p.held[dir].push(b)
      return
    }
    ;(dir === 'up' ? p.upstream : p.client)?.write(b)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port

  const proxy: TcpProxy = {
    port,
    url: `ws://127.0.0.1:${port}`,
    get state() {
      return state
    },
    get accepted() {
      return accepted
    },
    set(next) {
      state = next
      for (const p of [...pairs]) {
        if (next === 'cut') kill(p)
        else if (next === 'blackhole') p.dead = true
        else if (next === 'open') {
          if (p.dead) kill(p)
          else {
            for (const dir of ['up', 'down'] as const) {
              const target = dir === 'up' ? p.upstream : p.client
              for (const b of p.held[dir].splice(0)) target?.write(b)
            }
          }
        }
      }
    },
    heal() {
      proxy.set('open')
    },
    setUpstream(p) {
      upstream = p
    },
    async close() {
      for (const p of [...pairs]) kill(p)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return proxy
}
