/**
 * Stock y-websocket@3 WebsocketProvider, one socket per document, `ws` as the WebSocket.
 * Used unchanged against Tally's `/sync/{doc}` and against the reference server.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import { createAsker, pollUntilCovered, toBytes } from './cover.ts'
import type { ClientKit, DocHandle, Terminal } from './types.ts'

export interface YWebsocketKitOptions {
  /** e.g. `ws://127.0.0.1:PORT/sync` for Tally, `ws://127.0.0.1:PORT` for the reference. */
  readonly serverUrl: string
  /** Query parameters per terminal (Tally's token). */
  readonly params?: (terminalId: string) => Promise<Record<string, string>>
}

export function yWebsocketKit(opts: YWebsocketKitOptions): ClientKit {
  return {
    label: 'y-websocket@3 (socket per doc)',
    async terminal(id: string): Promise<Terminal> {
      const params = opts.params ? await opts.params(id) : {}
      const handles = new Set<DocHandle>()
      return {
        id,
        async open(name: string, doc: Y.Doc): Promise<DocHandle> {
          const provider = new WebsocketProvider(opts.serverUrl, name, doc, {
            WebSocketPolyfill: WebSocket as never,
            params,
            // In Node a BroadcastChannel would carry edits between providers of the same
            // room inside this process and bypass the server under test.
            disableBc: true,
            maxBackoffTime: 1_000,
          })
          const synced = new Promise<void>((resolve) => {
            if (provider.synced) resolve()
            else provider.once('sync', (s: boolean) => s && resolve())
          })
          let listening: unknown
          // While the provider reconnects there is no open socket: the ask times out and is retried.
          const asker = createAsker((bytes) => {
            const ws = provider.ws as unknown as WebSocket | null
            if (ws && ws.readyState === WebSocket.OPEN) ws.send(bytes)
          })
          const handle: DocHandle = {
            name,
            doc,
            synced,
            async serverHasAll(deadlineMs) {
              await synced
              return pollUntilCovered(
                doc,
                (t) => {
                  const ws = provider.ws as unknown as WebSocket | null
                  if (ws && listening !== ws) {
                    listening = ws
                    ws.addEventListener('message', (ev) => asker.onMessage(toBytes(ev.data)))
                  }
                  return asker.ask(t)
                },
                deadlineMs,
              )
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
        },
      }
    },
  }
}
