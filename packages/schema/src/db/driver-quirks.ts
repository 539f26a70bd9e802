/**
 * The postgres driver re-subscribes its LISTEN channels by itself when the listening
 * connection drops; while the database stays unreachable that internal re-listen query
 * fails, and the driver leaves the rejection unhandled (porsager/postgres#310 reports the
 * same). Nothing is lost: the driver tries again on the next connection, and the log's
 * change feed (log/pg-feed.ts) catches up on every re-listen and probes its own channel.
 * So a relay must not die of it; any other unhandled rejection still ends the process.
 */
export function isListenResubscribeFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const query = (err as { query?: unknown }).query
  return typeof query === 'string' && /^listen "/.test(query)
}
