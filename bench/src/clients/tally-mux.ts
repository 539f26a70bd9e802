/**
 * The Tally mux client (@tally/client createSyncClient): one `/mux` socket per terminal,
 * in-memory persistence (the bench measures the wire, not IndexedDB). "On the server"
 * here means acknowledged as durable, which is stronger than the peers' probe.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SyncClient, SyncClientOptions } from '@tally/client'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { withDeadline } from '../deadline.ts'
import type { RunningServer } from '../servers/spawn.ts'
import { BENCH_JWT_SECRET, terminalToken } from '../tally-token.ts'
import { BENCH_STORE } from '../tickets.ts'
import type { ClientKit, DocHandle, Terminal } from './types.ts'

type CreateSyncClient = (opts: SyncClientOptions) => SyncClient

export function tallyMuxKit(createSyncClient: CreateSyncClient, server: RunningServer): ClientKit {
  return {
    label: '@tally/client mux (socket per terminal)',
    async terminal(id: string): Promise<Terminal> {
      const token = await terminalToken(BENCH_JWT_SECRET, BENCH_STORE, id)
      const client: SyncClient = createSyncClient({
        url: `ws://127.0.0.1:${server.port}`,
        token,
        WebSocket: WebSocket as never,
        persistence: 'memory',
        backoff: { minMs: 100, maxMs: 1_000 },
      })
      return {
        id,
        async open(name: string, initial: Y.Doc): Promise<DocHandle> {
          const doc = await client.open(name)
          // What the terminal made offline becomes its own (pending) edits.
          if (initial.store.clients.size > 0) Y.applyUpdate(doc, Y.encodeStateAsUpdate(initial))
          const synced = client.whenSynced(name)
          synced.catch(() => {})
          return {
            name,
            doc,
            synced,
            async serverHasAll(deadlineMs) {
              try {
                await withDeadline(client.whenDurable(name), deadlineMs, `${name} durable`)
                return true
              } catch {
                return false
              }
            },
            destroy() {
              client.release(name)
            },
          }
        },
        close() {
          void client.destroy()
        },
      }
    },
  }
}

/** Loads createSyncClient from `root` (a snapshot) or the working tree; undefined if absent. */
export async function muxKitIfReady(root: string | undefined): Promise<((server: RunningServer) => ClientKit) | undefined> {
  try {
    const mod = (await import(root ? pathToFileURL(join(root, 'packages/client/src/index.ts')).href : '@tally/client')) as {
      createSyncClient?: CreateSyncClient
    }
    const create = mod.createSyncClient
    return create ? (server) => tallyMuxKit(create, server) : undefined
  } catch {
    return undefined
  }
}
