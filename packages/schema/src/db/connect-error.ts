/**
 * Why a Postgres could not be opened, in one sentence an operator can act on. The driver's
 * own errors (ECONNREFUSED with a stack through its socket code, a PostgresError with a
 * SQLSTATE) bury the cause; the relay prints this message alone and exits.
 */

/** The database named by a URL could not be reached or used. `message` never holds a password. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError'
  constructor(
    message: string,
    /** The driver's code: a Node errno (`ECONNREFUSED`) or a SQLSTATE (`3D000`). */
    readonly code: string,
  ) {
    super(message)
  }
}

function where(url: string): { at: string; database: string; user: string } {
  try {
    const u = new URL(url)
    return { at: `${u.hostname}:${u.port || '5432'}`, database: decodeURIComponent(u.pathname.slice(1)) || 'postgres', user: decodeURIComponent(u.username) || 'the default user' }
  } catch {
    return { at: 'the configured address', database: 'the database', user: 'the user' }
  }
}

/** Map a connection or first-query failure to a DatabaseUnreachableError; anything else is returned as it is. */
export function describeConnectError(err: unknown, url: string): unknown {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  const { at, database, user } = where(url)
  const say = (text: string) => new DatabaseUnreachableError(text, code)
  switch (code) {
    case 'ECONNREFUSED':
      return say(`the database at ${at} refused the connection (nothing listens there)`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`the database host in ${at} does not resolve`)
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say(`the database at ${at} did not answer (${code})`)
    case 'ECONNRESET':
    case 'CONNECTION_CLOSED':
    case 'CONNECTION_ENDED':
    case 'CONNECTION_DESTROYED':
      return say(`the database at ${at} closed the connection while opening it (${code})`)
    case '3D000':
      return say(`database "${database}" does not exist on ${at}`)
    case '28P01':
    case '28000':
      return say(`the database at ${at} refused user "${user}" (wrong password or no access)`)
    case '53300':
      return say(`the database at ${at} has no free connection slots (too many clients)`)
    case '57P03':
      return say(`the database at ${at} is starting up or shutting down`)
    default:
      return err
  }
}
