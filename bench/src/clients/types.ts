/**
 * What a workload needs from a client library, whatever server it talks to: open a
 * document on a terminal (one socket per document for stock y-websocket, one shared
 * socket for Hocuspocus and the Tally mux client), wait for its first sync, and ask the
 * server whether it holds every local edit.
 */
import type * as Y from 'yjs'

export interface DocHandle {
  readonly name: string
  readonly doc: Y.Doc
  /** Resolves when the client has the server's state (sync step 2 received). */
  readonly synced: Promise<void>
  /**
   * Resolves once the server provably holds every local edit of this document (it sent
   * back a state covering the local state vector, or acknowledged it as durable); false
   * when the deadline passes first.
   */
  serverHasAll(deadlineMs: number): Promise<boolean>
  destroy(): void
}

export interface Terminal {
  readonly id: string
  open(docName: string, doc: Y.Doc): DocHandle
  close(): void
}

export interface ClientKit {
  /** e.g. `y-websocket@3`, `@hocuspocus/provider`, `@tally/client mux`. */
  readonly label: string
  terminal(id: string): Promise<Terminal>
}
