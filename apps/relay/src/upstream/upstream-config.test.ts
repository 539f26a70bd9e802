/** UPSTREAM_URL / UPSTREAM_TOKEN: both or neither, a ws(s) URL and a hub token (HUB15). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { signToken } from '../auth.ts'
import { ConfigError, loadConfig } from '../config.ts'

describe('store hub configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-upstream-'))
  const env = { DATA_DIR: dir, JWT_SECRET: 'x' }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const fails = (extra: Record<string, string>, variable: string) => {
    let err: unknown
    try {
      loadConfig({ ...env, ...extra })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).variable).toBe(variable)
  }

  it('[HUB15] without the two variables a relay is a plain relay; with a hub token it is a hub of that store', async () => {
    expect(loadConfig(env).upstream).toBeNull()
    const token = await signToken('central-secret', { role: 'hub', store: 'bar1', sub: 'bar1-hub' })
    const c = loadConfig({ ...env, UPSTREAM_URL: 'wss://central.example:8787/', UPSTREAM_TOKEN: token })
    expect(c.upstream).toEqual({ url: 'wss://central.example:8787', token, store: 'bar1', hub: 'bar1-hub' })
  })

  it('[HUB15] one variable without the other, a URL that is not ws(s), or a token that is not a hub token names the variable', async () => {
    const terminal = await signToken('central-secret', { role: 'terminal', store: 'bar1', sub: 't1' })
    const hub = await signToken('central-secret', { role: 'hub', store: 'bar1', sub: 'h' })
    fails({ UPSTREAM_URL: 'ws://central:8787' }, 'UPSTREAM_TOKEN')
    fails({ UPSTREAM_TOKEN: hub }, 'UPSTREAM_URL')
    fails({ UPSTREAM_URL: 'http://central:8787', UPSTREAM_TOKEN: hub }, 'UPSTREAM_URL')
    fails({ UPSTREAM_URL: 'not a url', UPSTREAM_TOKEN: hub }, 'UPSTREAM_URL')
    fails({ UPSTREAM_URL: 'ws://central:8787', UPSTREAM_TOKEN: terminal }, 'UPSTREAM_TOKEN')
    fails({ UPSTREAM_URL: 'ws://central:8787', UPSTREAM_TOKEN: 'garbage' }, 'UPSTREAM_TOKEN')
  })
})
