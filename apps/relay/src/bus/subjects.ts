/**
 * NATS subjects of the relay bus. One subject per document and kind, so the server sends
 * a relay only what it subscribed to: the documents it holds. A document name holds `/`
 * and may hold `.` (a NATS token separator), so it is base64url-encoded into one token.
 *
 *   tally.<schema>.doc.<doc>   committed log rows (seq, origin, bytes)
 *   tally.<schema>.aw.<doc>    awareness updates (memory only, never logged)
 *   tally.<schema>.gap         "I was cut off from NATS": every relay catches up from the log
 */

export const SubjectKind = { doc: 'doc', awareness: 'aw' } as const
export type SubjectKind = (typeof SubjectKind)[keyof typeof SubjectKind]

export function encodeDocToken(doc: string): string {
  return Buffer.from(doc, 'utf8').toString('base64url')
}

export function decodeDocToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8')
}

export function subjectOf(schema: string, kind: SubjectKind, doc: string): string {
  return `tally.${schema}.${kind}.${encodeDocToken(doc)}`
}

/** Both kinds of one document in one subscription. */
export function docWildcard(schema: string, doc: string): string {
  return `tally.${schema}.*.${encodeDocToken(doc)}`
}

export function gapSubject(schema: string): string {
  return `tally.${schema}.gap`
}

/** The kind and document of a subject this bus made, or null for anything else. */
export function parseSubject(schema: string, subject: string): { kind: SubjectKind; doc: string } | null {
  const prefix = `tally.${schema}.`
  if (!subject.startsWith(prefix)) return null
  const rest = subject.slice(prefix.length)
  const dot = rest.indexOf('.')
  if (dot < 0) return null
  const kind = rest.slice(0, dot)
  if (kind !== SubjectKind.doc && kind !== SubjectKind.awareness) return null
  return { kind, doc: decodeDocToken(rest.slice(dot + 1)) }
}
