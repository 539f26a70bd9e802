/**
 * A WebSocket upgrade request written byte for byte on a plain TCP socket, so a test can
 * send what no WebSocket library would (broken escapes, odd targets, missing headers)
 * and read the relay's raw answer.
 */
import { connect } from 'node:net'

export interface RawAnswer {
  /** HTTP status of the answer (101 when the upgrade happened), or null if the socket closed silently. */
  status: number | null
  /** The answer's text as received (status line, headers and any body). */
  head: string
}

export function rawUpgrade(
  port: number,
  target: string,
  opts: { headers?: Record<string, string>; omit?: string[]; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...opts.headers,
  }
  for (const h of opts.omit ?? []) delete headers[h]
  const request = `GET ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let got = ''
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error(`no answer to upgrade ${JSON.stringify(target)} within ${opts.timeoutMs ?? 5000} ms`))
    }, opts.timeoutMs ?? 5000)
    const done = () => {
      clearTimeout(timer)
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got)
      resolve({ status: m ? Number(m[1]) : null, head: got })
      sock.destroy()
    }
    sock.on('error', () => done())
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      // Done at the end of the head for a 101, else once the body it announces is in
      // (a plain HTTP answer may keep the connection alive).
      const end = got.indexOf('\r\n\r\n')
      if (end < 0) return
      if (got.startsWith('HTTP/1.1 101')) return done()
      const length = /\r\ncontent-length: *(\d+)/i.exec(got.slice(0, end))
      if (!length || got.length >= end + 4 + Number(length[1])) done()
    })
    sock.on('end', done)
    sock.on('connect', () => sock.write(Buffer.from(request, 'latin1')))
  })
}
