/**
 * Hocuspocus 4 as the bench runs it: a bare `Server` on 127.0.0.1:PORT. Without
 * extensions it keeps documents in memory only, like the y-websocket reference server.
 * With HOCUSPOCUS_DIR set it persists the way Hocuspocus documents it: `onStoreDocument`
 * (debounced, 2 s default, at most 10 s) writes the whole state to a file, and
 * `onLoadDocument` reads it back. Run as its own process: `node --import tsx hocuspocus.ts`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Server } from '@hocuspocus/server'
import * as Y from 'yjs'

const port = Number(process.env.PORT ?? '1234')
const dir = process.env.HOCUSPOCUS_DIR || undefined
if (dir) mkdirSync(dir, { recursive: true })

const fileOf = (name: string): string => join(dir as string, `${encodeURIComponent(name)}.bin`)

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: true,
  ...(dir
    ? {
        async onLoadDocument({ documentName, document }) {
          try {
            Y.applyUpdate(document, readFileSync(fileOf(documentName)))
          } catch {
            // No file yet: a new document.
          }
          return document
        },
        async onStoreDocument({ documentName, document }) {
          const file = fileOf(documentName)
          writeFileSync(`${file}.tmp`, Y.encodeStateAsUpdate(document))
          renameSync(`${file}.tmp`, file)
        },
      }
    : {}),
})

await server.listen()
console.log(`hocuspocus listening on 127.0.0.1:${port}${dir ? ` persisting to ${dir}` : ''}`)
