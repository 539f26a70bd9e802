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
  /**
   * Opens a document. `initial` holds what the terminal made offline; the handle's `doc`
   * is the live document (the same object for stock providers; the mux client owns its
   * documents, so `initial` is merged into the one it returns).
   */
  open(docName: string, initial: Y.Doc): Promise<DocHandle>
  close(): void
}

export interface ClientKit {
  /** e.g. `y-websocket@3`, `@hocuspocus/provider`, `@tally/client mux`. */
  readonly label: string
  terminal(id: string): Promise<Terminal>
}
