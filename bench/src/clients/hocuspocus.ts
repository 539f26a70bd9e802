/**
 * @hocuspocus/provider 4: one HocuspocusProviderWebsocket per terminal, one
 * HocuspocusProvider per document attached to it (Hocuspocus's own multiplexing).
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import type * as Y from 'yjs'
import { createAsker, pollUntilCovered, toBytes } from './cover.ts'
import type { ClientKit, DocHandle, Terminal } from './types.ts'

export function hocuspocusKit(url: string): ClientKit {
  return {
    label: '@hocuspocus/provider 4 (socket per terminal)',
    async terminal(id: string): Promise<Terminal> {
      const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket, maxDelay: 1_000 })
      const handles = new Set<DocHandle>()
      return {
        id,
        async open(name: string, doc: Y.Doc): Promise<DocHandle> {
          const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc })
          // With a shared socket the provider does not attach itself.
          provider.attach()
          const synced = new Promise<void>((resolve) => {
            if (provider.isSynced) resolve()
            else provider.on('synced', () => resolve())
          })
          const asker = createAsker((bytes) => socket.send(bytes), name)
          provider.on('message', ({ event }: { event: MessageEvent }) => asker.onMessage(toBytes(event.data)))
          const handle: DocHandle = {
            name,
            doc,
            synced,
            async serverHasAll(deadlineMs) {
              await synced
              return pollUntilCovered(doc, (t) => asker.ask(t), deadlineMs)
            },
            destroy() {
              handles.delete(handle)
              provider.destroy()
            },
          }
          handles.add(handle)
          return handle
        },
        close() {
          for (const h of [...handles]) h.destroy()
          socket.destroy()
        },
      }
    },
  }
}
