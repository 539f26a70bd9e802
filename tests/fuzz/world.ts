/**
 * One relay process with honest terminals selling beside the fuzz, shared by the tests
 * of a file (a relay process costs seconds to start). A test that finds it gone or
 * tainted (an earlier test killed it or broke a promise in it, and reported that) gets
 * a fresh one, so no test is charged with another's damage.
 */
import type { World } from './checks.ts'
import type { DocTarget } from './forbidden-roots.ts'
import { startHonest } from './honest.ts'
import { startRelayHost } from './host.ts'

export interface SharedWorld {
  get(): Promise<World>
  close(): Promise<void>
}

export function sharedWorld(backend: 'pglite' | 'postgres', setup: (w: Omit<World, 'targets'>) => Promise<DocTarget[]> = async () => []): SharedWorld {
  let current: World | null = null
  const stop = async (w: World) => {
    await w.honest.close().catch(() => {})
    await w.host.close()
  }
  return {
    async get() {
      if (current && !current.tainted && !current.host.exitInfo() && (await current.host.health()) === null) return current
      if (current) await stop(current)
      current = null
      const host = await startRelayHost(backend)
      const honest = await startHonest(host)
      // The honest clients work before any hostile input, or nothing after means anything.
      await honest.sellRound()
      await honest.sellOther()
      const targets = await setup({ host, honest })
      current = { host, honest, targets }
      return current
    },
    async close() {
      if (current) await stop(current)
      current = null
    },
  }
}
