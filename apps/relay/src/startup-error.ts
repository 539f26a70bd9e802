/**
 * A relay that cannot start says why in one line, naming what to change, and exits 1.
 * The causes are the operator's (a variable, a port, a database), so a stack trace would
 * only bury them; an error of unknown kind keeps its stack for LOG_LEVEL=debug.
 */
import { DataDirBusyError, DatabaseUnreachableError } from '@tally/schema/db'
import { NatsUnreachableError } from './bus/nats-bus.ts'
import { ConfigError } from './config.ts'
import { SecretMismatchError } from './instances.ts'
import { ListenError } from './serve.ts'

export function startupMessage(err: unknown): string {
  if (err instanceof ConfigError || err instanceof ListenError || err instanceof DataDirBusyError || err instanceof SecretMismatchError || err instanceof NatsUnreachableError) return err.message
  if (err instanceof DatabaseUnreachableError) return `${err.message}; check DATABASE_URL`
  const e = err as NodeJS.ErrnoException
  const text = e instanceof Error ? e.message : String(err)
  return `${text.split('\n')[0]} (LOG_LEVEL=debug prints the stack)`
}

/** Print the one line (and, at debug level, the stack) and exit with code 1. */
export function failStartup(err: unknown, debug: boolean): never {
  const line = startupMessage(err).replace(/\s*\n\s*/g, ' ')
  process.stderr.write(`Tally cannot start: ${line}\n`)
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
  process.exit(1)
}
