/**
 * Configuration errors name the variable (RLY40): main.ts prints the message as the one
 * line a failed start writes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, redactUrl } from './config.ts'

const NUMERIC = [
  'PORT',
  'MAX_MESSAGE_BYTES',
  'MAX_BUFFERED_BYTES',
  'IDLE_UNLOAD_MS',
  'RATE_PER_SECOND',
  'RATE_BURST',
  'GROUP_COMMIT_MAX',
  'COMPACT_AFTER',
  'HEARTBEAT_MS',
  'MAX_BODY_BYTES',
  'MAX_UPLOAD_BYTES',
  'TRUST_PROXY',
  'INSTANCE_BEAT_MS',
  'READY_TIMEOUT_MS',
]

describe('loadConfig errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-config-'))
  const env = { DATA_DIR: dir, JWT_SECRET: 'x' }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each(NUMERIC)('[RLY40] %s with a value that is not a whole number is a ConfigError naming it', (name) => {
    for (const bad of ['ten', '-1', '1.5', '0x10', '1e3', '9007199254740993']) {
      let caught: unknown
      try {
        loadConfig({ ...env, [name]: bad })
      } catch (err) {
        caught = err
      }
      expect(caught, `${name}=${bad}`).toBeInstanceOf(ConfigError)
      expect((caught as ConfigError).variable).toBe(name)
      expect((caught as ConfigError).message).toContain(`${name} must be a whole number`)
    }
    expect(() => loadConfig({ ...env, [name]: ' 42 ' })).not.toThrow()
  })

  it('[RLY40] DATABASE_URL and DATABASE_SCHEMA are checked, and a refused URL is shown without its password', () => {
    for (const bad of ['notaurl', 'mysql://u@h/db', 'postgres://', 'http://u:pw@h/db']) {
      expect(() => loadConfig({ ...env, DATABASE_URL: bad }), bad).toThrow(ConfigError)
    }
    try {
      loadConfig({ ...env, DATABASE_URL: 'http://admin:hunter2@db/x' })
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2')
    }
    expect(loadConfig({ ...env, DATABASE_URL: 'postgresql://u:p@db.internal:6432/tally' }).databaseUrl).toBe('postgresql://u:p@db.internal:6432/tally')
    expect(() => loadConfig({ ...env, DATABASE_SCHEMA: 'Bad-Name' })).toThrow(/DATABASE_SCHEMA must be/)
    expect(redactUrl('postgres://a:b@h/d')).toBe('postgres://***@h/d')
  })

  it('[RLY42] the secret source is recorded: JWT_SECRET is env, a generated one is file', () => {
    expect(loadConfig(env).jwtSecretSource).toBe('env')
    const generated = loadConfig({ DATA_DIR: join(dir, 'gen') })
    expect(generated.jwtSecretSource).toBe('file')
    expect(loadConfig({ DATA_DIR: join(dir, 'gen') }).jwtSecret).toBe(generated.jwtSecret)
  })
})
