/**
 * crash: W writers stream small edits into D cart documents while an observer on each
 * document waits until the server has relayed every edit. Then the server is killed
 * with SIGKILL the moment the last edit was seen, the writers are gone, the server
 * restarts (same data directory), and a fresh client reads each document back.
 * lost = edits relayed before the kill that the fresh client cannot read.
 */
import { cartDocName, uuidv7 } from '@tally/schema'
import * as Y from 'yjs'
import type { ClientKit, DocHandle, Terminal } from '../clients/types.ts'
import { withDeadline } from '../deadline.ts'
import { type RunningServer } from '../servers/spawn.ts'
import { BENCH_STORE } from '../tickets.ts'

export interface CrashOptions {
  readonly writers: number
  readonly docs: number
  readonly edits: number
  readonly timeoutMs: number
}

export interface CrashResult {
  readonly ok: boolean
  readonly error?: string
  /** Edits the observers saw relayed before the kill. */
  readonly relayed: number
  /** Of those, the edits a fresh client read back after the restart. */
  readonly recovered: number
  readonly lost: number
  /** Last relayed edit to SIGKILL. */
  readonly killAfterMs: number
  readonly restartMs: number
}

const tick = () => new Promise<void>((r) => setImmediate(r))

export async function runCrash(
  start: () => Promise<RunningServer>,
  kitFor: (server: RunningServer) => ClientKit,
  opts: CrashOptions,
): Promise<CrashResult> {
  const names = Array.from({ length: opts.docs }, () => cartDocName(BENCH_STORE, uuidv7()))
  let server = await start()
  const terminals: Terminal[] = []
  try {
    const kit = kitFor(server)
    const observer = await kit.terminal('observer')
    terminals.push(observer)
    const watched = await Promise.all(names.map((n) => observer.open(n, new Y.Doc())))
    const writers: DocHandle[] = []
    for (let w = 0; w < opts.writers; w++) {
      const term = await kit.terminal(`w${w}`)
      terminals.push(term)
      writers.push(await term.open(names[w % opts.docs] as string, new Y.Doc()))
    }
    await withDeadline(Promise.all([...watched, ...writers].map((h) => h.synced)), Date.now() + opts.timeoutMs, 'initial sync')

    const total = opts.writers * opts.edits
    let seen = 0
    let lastSeenAt = 0
    const allSeen = new Promise<void>((resolve) => {
      for (const h of watched) {
        h.doc.getMap<number>('bench').observe((ev) => {
          if (ev.transaction.local) return
          seen += ev.keysChanged.size
          lastSeenAt = performance.now()
          if (seen >= total) resolve()
        })
      }
    })
    for (let e = 0; e < opts.edits; e++) {
      for (let w = 0; w < writers.length; w++) (writers[w] as DocHandle).doc.getMap<number>('bench').set(`${w}:${e}`, e)
      await tick()
    }
    let error: string | undefined
    try {
      await withDeadline(allSeen, Date.now() + opts.timeoutMs, 'every edit relayed')
    } catch (err) {
      error = (err as Error).message
    }
    const relayed = seen
    const killAfterMs = performance.now() - lastSeenAt
    await server.kill9()
    // The writers must not upload their edits again after the restart.
    for (const term of terminals) term.close()
    terminals.length = 0

    const restartStart = performance.now()
    server = await start()
    const restartMs = performance.now() - restartStart
    const reader = await kitFor(server).terminal('reader')
    terminals.push(reader)
    const fresh = await Promise.all(names.map((n) => reader.open(n, new Y.Doc())))
    await withDeadline(Promise.all(fresh.map((h) => h.synced)), Date.now() + opts.timeoutMs, 'read back')
    const count = () => fresh.reduce((s, h) => s + h.doc.getMap('bench').size, 0)
    // A server may answer the first sync before its persistence has loaded (the reference
    // server with y-leveldb does), so wait until everything is back or nothing changed
    // for a while.
    const recovered = await settle(count, relayed, 1_500, Date.now() + 15_000)
    return {
      ok: error === undefined,
      ...(error ? { error } : {}),
      relayed,
      recovered,
      lost: relayed - Math.min(relayed, recovered),
      killAfterMs,
      restartMs,
    }
  } finally {
    for (const term of terminals) term.close()
    await server.stop()
  }
}

async function settle(count: () => number, target: number, quietMs: number, deadlineMs: number): Promise<number> {
  let last = count()
  let changedAt = Date.now()
  while (last < target && Date.now() < deadlineMs && Date.now() - changedAt < quietMs) {
    await new Promise((r) => setTimeout(r, 50))
    const now = count()
    if (now !== last) {
      last = now
      changedAt = Date.now()
    }
  }
  return last
}
