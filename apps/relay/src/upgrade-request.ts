/**
 * Read a WebSocket upgrade request into the sync endpoint it names. The request line and
 * headers come from anyone who can reach the port, before any token is checked, so this
 * never throws: whatever it cannot read is a typed refusal, answered with HTTP 400
 * before the upgrade, with the store it names (if any) for the audit row.
 */
import type { IncomingMessage } from 'node:http'
import { ErrorCode, storeNamedIn } from '@tally/schema'

/** Longest request target read; the longest real one is a doc name (200) plus a token. */
export const MAX_UPGRADE_URL = 8 * 1024

export type UpgradeRequest =
  | { ok: true; url: URL; remote: string; endpoint: { path: 'mux'; token: string | null } }
  | { ok: true; url: URL; remote: string; endpoint: { path: 'sync'; docName: string; token: string | null; acks: boolean } }
  /** Not a sync path: another handler's, or a 404. */
  | { ok: true; url: URL; remote: string; endpoint: { path: 'other' } }
  | { ok: false; remote: string; code: ErrorCode; reason: string; doc: string | null; store: string | null }

function remoteOf(req: IncomingMessage): string {
  try {
    return req.socket?.remoteAddress ?? ''
  } catch {
    return ''
  }
}

export function readUpgradeRequest(req: IncomingMessage): UpgradeRequest {
  const remote = remoteOf(req)
  const raw = typeof req.url === 'string' ? req.url : '/'
  const refuse = (code: ErrorCode, reason: string, doc: string | null = null): UpgradeRequest => ({
    ok: false,
    remote,
    code,
    reason,
    doc,
    store: storeNamedIn(doc),
  })
  if (raw.length > MAX_UPGRADE_URL) return refuse(ErrorCode.badRequest, `request target of ${raw.length} characters exceeds ${MAX_UPGRADE_URL}`)
  let url: URL
  try {
    // Only the path and query matter; an absolute-form target ("http://x/...") is read the same way.
    url = new URL(raw, 'http://relay.invalid')
  } catch {
    return refuse(ErrorCode.badRequest, 'request target is not a URL')
  }
  const token = url.searchParams.get('token')
  if (url.pathname === '/mux') return { ok: true, url, remote, endpoint: { path: 'mux', token } }
  if (!url.pathname.startsWith('/sync/')) return { ok: true, url, remote, endpoint: { path: 'other' } }
  const encoded = url.pathname.slice('/sync/'.length)
  let docName: string
  try {
    docName = decodeURIComponent(encoded)
  } catch {
    // `/sync/%` and friends: the raw text still says which store was targeted, if any.
    return refuse(ErrorCode.badDocName, 'document name is not valid percent-encoding', encoded)
  }
  return { ok: true, url, remote, endpoint: { path: 'sync', docName, token, acks: url.searchParams.get('acks') === '1' } }
}
