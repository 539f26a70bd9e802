/** A stock y-websocket provider on a relay's `/sync`, resolved once it synced. */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

export function stockProvider(wsUrl: string, doc: string, token: string, ydoc = new Y.Doc()): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`${wsUrl}/sync`, doc, ydoc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  return new Promise((resolve) => {
    if (p.synced) resolve(p)
    p.once('sync', () => resolve(p))
  })
}
