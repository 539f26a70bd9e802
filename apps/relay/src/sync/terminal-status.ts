/**
 * The `/mux` liveness and status frames, relay side: a ping is recognised from its one
 * byte (it skips the connection's queue), and a terminal's status report is checked
 * before it reaches the dashboard (untrusted input: typed refusal, never a throw).
 */
import { ErrorCode, Mux, encodeMux, type MuxFrame } from '@tally/schema'
import type { Refusal, Session } from './session.ts'
import type { StatusFigures } from './terminal-board.ts'

export const PONG = encodeMux({ type: Mux.pong })
/** Larger than any honest terminal's count; beyond it the report is refused. */
export const MAX_REPORTED = 1_000_000_000

/**
 * The socket answered no heartbeat and is being terminated: an audit row, so the
 * terminal's history says its connection died silently (not that it left).
 */
export function recordSilent(session: Session): void {
  if (!session.claims) return
  session.deps.audit.add({ store: session.claims.store, actor: session.actor, kind: 'heartbeat_timeout', detail: { remote: session.remote } })
}

export function isPing(bytes: Uint8Array): boolean {
  return bytes.byteLength === 1 && bytes[0] === Mux.ping
}

export function statusFigures(
  frame: Extract<MuxFrame, { type: typeof Mux.status }>,
): { ok: true; value: StatusFigures } | { ok: false; refusal: Refusal } {
  const { pendingChanges, pendingSales } = frame
  if (pendingChanges > MAX_REPORTED || pendingSales > MAX_REPORTED || pendingSales < -1) {
    return { ok: false, refusal: { code: ErrorCode.badRequest, reason: `status figures out of range (${pendingChanges}, ${pendingSales})` } }
  }
  return { ok: true, value: { pendingChanges, pendingSales: pendingSales === -1 ? null : pendingSales } }
}
