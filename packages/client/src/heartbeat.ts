/**
 * Is the other side of a socket still there? A half-open TCP connection (a NAT that
 * forgot it, a cable pulled at the far end) looks open forever, so silence is the only
 * sign. Ticked once per interval; `heard()` on anything from the peer.
 *
 * - A tick after an interval in which nothing was heard asks for a ping: the peer then
 *   has a whole interval to answer.
 * - Two such ticks in a row mean the peer is gone: at most three intervals after the
 *   last thing heard, never fewer than two.
 * - A tick that comes late (this process was stalled: a long GC, a busy event loop, a
 *   starved CPU, a background tab whose timers the browser throttles to once a minute)
 *   does not count as silence: the answer may be sitting unread in the socket, and the
 *   stall says nothing about the peer.
 */
export const Beat = { ok: 'ok', ping: 'ping', dead: 'dead' } as const
export type Beat = (typeof Beat)[keyof typeof Beat]

/** A tick this much later than its interval is a stall of ours, not the peer's silence. */
const LATE_FACTOR = 1.5

export class HeartbeatClock {
  private heardSinceTick: boolean
  private silentTicks = 0
  private lastTick: number

  constructor(
    private readonly intervalMs: number,
    now: number,
    heardAtStart: boolean,
  ) {
    this.lastTick = now
    this.heardSinceTick = heardAtStart
  }

  heard(): void {
    this.heardSinceTick = true
  }

  tick(now: number): Beat {
    const late = now - this.lastTick > this.intervalMs * LATE_FACTOR
    this.lastTick = now
    if (this.heardSinceTick) {
      this.heardSinceTick = false
      this.silentTicks = 0
      return Beat.ok
    }
    if (!late) this.silentTicks++
    return this.silentTicks >= 2 ? Beat.dead : Beat.ping
  }
}
