/**
 * A WebSocket client on a bare TCP socket, so a test can send request targets no URL
 * class would let through (`/sync/%`, raw `..`, overlong, NUL, non-ASCII bytes) and
 * frames of any size, and see exactly how the relay answered: HTTP status, close code
 * and reason, and every binary message.
 */
import { connect } from 'node:net'

export interface RawOutcome {
  /** HTTP status of the upgrade answer; null when the socket closed before one. */
  status: number | null
  closeCode: number | null
  closeReason: string
  messages: Uint8Array[]
  /** The probe was answered: everything sent before it was handled. */
  probed: boolean
  timedOut: boolean
}

export interface RawExchange {
  /** Messages to send once upgraded (after the relay's first message when `waitFirst`). */
  send: readonly Uint8Array[]
  /** Sent last; `answered` says which incoming message answers it. */
  probe?: { bytes: Uint8Array; answered: (m: Uint8Array) => boolean }
  /** /sync loads its document before it reads anything: wait for its first message. */
  waitFirst?: boolean
  timeoutMs?: number
}

function frame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.byteLength
  const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode
    head[1] = 0x80 | 126
    head.writeUInt16BE(n, 2)
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode
    head[1] = 0x80 | 127
    head.writeBigUInt64BE(BigInt(n), 2)
  }
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
  const body = Buffer.alloc(n)
  for (let i = 0; i < n; i++) body[i] = (payload[i] as number) ^ (mask[i & 3] as number)
  return Buffer.concat([head, mask, body])
}

/** Upgrade on `target` (sent byte for byte as the request target) and run the exchange. */
export function rawUpgrade(port: number, target: string | Buffer, ex: RawExchange): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const out: RawOutcome = { status: null, closeCode: null, closeReason: '', messages: [], probed: false, timedOut: false }
    const sock = connect(port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    let upgraded = false
    let sent = false
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve(out)
    }
    const timer = setTimeout(() => {
      out.timedOut = true
      finish()
    }, ex.timeoutMs ?? 8000)
    const sendAll = () => {
      if (sent) return
      sent = true
      for (const m of ex.send) sock.write(frame(0x2, m))
      if (ex.probe) sock.write(frame(0x2, ex.probe.bytes))
      else {
        // Nothing to wait for: close politely once sent.
        sock.write(frame(0x8, Buffer.from([0x03, 0xe8])))
      }
    }
    sock.on('connect', () => {
      const t = typeof target === 'string' ? Buffer.from(target, 'latin1') : target
      sock.write(
        Buffer.concat([
          Buffer.from('GET ', 'latin1'),
          t,
          Buffer.from(
            ' HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
            'latin1',
          ),
        ]),
      )
    })
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const m = /^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString('latin1'))
        out.status = m ? Number(m[1]) : 0
        buf = buf.subarray(end + 4)
        if (out.status !== 101) return finish()
        upgraded = true
        if (!ex.waitFirst) sendAll()
      }
      // Server frames: never masked, never fragmented by ws.
      while (buf.length >= 2) {
        const op = (buf[0] as number) & 0x0f
        let len = (buf[1] as number) & 0x7f
        let off = 2
        if (len === 126) {
          if (buf.length < 4) return
          len = buf.readUInt16BE(2)
          off = 4
        } else if (len === 127) {
          if (buf.length < 10) return
          len = Number(buf.readBigUInt64BE(2))
          off = 10
        }
        if (buf.length < off + len) return
        const payload = new Uint8Array(buf.subarray(off, off + len))
        buf = buf.subarray(off + len)
        if (op === 0x8) {
          out.closeCode = payload.length >= 2 ? (payload[0] as number) * 256 + (payload[1] as number) : 1005
          out.closeReason = Buffer.from(payload.subarray(2)).toString('utf8')
          return finish()
        }
        if (op === 0x2 || op === 0x1) {
          out.messages.push(payload)
          if (!sent) sendAll()
          else if (ex.probe?.answered(payload)) {
            out.probed = true
            return finish()
          }
        }
      }
    })
    sock.on('error', () => finish())
    sock.on('close', () => finish())
  })
}
