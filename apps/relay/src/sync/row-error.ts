/**
 * Telling a bad row from a bad database. A batched statement fails whole when one of its
 * rows does: a value Postgres cannot store (a NUL in text, a lone surrogate in JSON), a
 * constraint. Those are SQLSTATE classes 22 (data exception), 23 (integrity constraint)
 * and 54 (program limit); then the batch is retried row by row so the other rows land.
 * Anything else (a lost connection, a shutdown) fails every row alike, and retrying each
 * would only hammer a database that is down.
 */
const ROW_CLASSES = ['22', '23', '54']

function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

export function isRowError(err: unknown): boolean {
  const code = sqlState(err)
  if (code !== undefined) return ROW_CLASSES.includes(code.slice(0, 2))
  // Failed before reaching the database (a value that does not serialise): that row's fault.
  return err instanceof TypeError || err instanceof RangeError
}

/** Text Postgres can store: NUL and unpaired surrogates replaced, so the row is kept, not lost. */
export function storable(s: string): string {
  // A high surrogate not followed by a low one, or a low one not preceded by a high one.
  return s.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}
