/**
 * fanout: N terminals on one cart document, each makes M small Y.Map sets as fast as
 * it can (a burst, interleaved across terminals). Measured: time until every terminal
 * has every edit, and delivery latency (receive time minus the send time carried in the
 * edit; clients share this process's clock).
 */
import { cartDocName, uuidv7 } from '@tally/schema'
import { performance } from 'node:perf_hooks'
import * as Y from 'yjs'
import type { ClientKit, DocHandle, Terminal } from '../clients/types.ts'
import { selfCpuMs, type MemSample } from '../proc.ts'
import type { RunningServer } from '../servers/spawn.ts'
import { percentile } from '../stats.ts'
import { BENCH_STORE } from '../tickets.ts'
import { withDeadline } from '../deadline.ts'

export interface FanoutOptions {
  readonly terminals: number
  readonly edits: number
  readonly timeoutMs: number
}

export interface FanoutResult {
  readonly ok: boolean
  readonly error?: string
  /** First edit sent to last edit received by the last terminal. */
  readonly convergeMs: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly deliveries: number
  readonly setupMs: number
  readonly serverCpuMs: number
  readonly clientCpuMs: number
  readonly mem: MemSample
}

const tick = () => new Promise<void>((r) => setImmediate(r))

export async function runFanout(server: RunningServer, kit: ClientKit, opts: FanoutOptions): Promise<FanoutResult> {
  const name = cartDocName(BENCH_STORE, uuidv7())
  const terminals: Terminal[] = []
  const handles: DocHandle[] = []
  const setupStart = performance.now()
  try {
    for (let t = 0; t < opts.terminals; t++) terminals.push(await kit.terminal(`t${t}`))
    for (const term of terminals) handles.push(await term.open(name, new Y.Doc()))
    const setupDeadline = Date.now() + opts.timeoutMs
    await withDeadline(Promise.all(handles.map((h) => h.synced)), setupDeadline, 'initial sync')
    const setupMs = performance.now() - setupStart

    const expected = (opts.terminals - 1) * opts.edits
    const latencies: number[] = []
    const doneAt: number[] = []
    const counts = handles.map(() => 0)
    const converged = Promise.all(
      handles.map(
        (h, i) =>
          new Promise<void>((resolve) => {
            const map = h.doc.getMap<number>('bench')
            map.observe((ev) => {
              if (ev.transaction.local) return
              const now = performance.now()
              for (const key of ev.keysChanged) {
                const sent = map.get(key)
                if (typeof sent === 'number') latencies.push(now - sent)
                counts[i] = (counts[i] as number) + 1
              }
              if ((counts[i] as number) >= expected) {
                doneAt[i] = now
                resolve()
              }
            })
          }),
      ),
    )

    const cpu0 = server.cpuMs()
    const self0 = selfCpuMs()
    const t0 = performance.now()
    for (let e = 0; e < opts.edits; e++) {
      for (let t = 0; t < handles.length; t++) {
        ;(handles[t] as DocHandle).doc.getMap<number>('bench').set(`${t}:${e}`, performance.now())
      }
      // Let the sockets flush and incoming updates apply between rounds.
      await tick()
    }
    let error: string | undefined
    try {
      await withDeadline(converged, Date.now() + opts.timeoutMs, 'convergence')
    } catch (err) {
      error = `${(err as Error).message}: received ${counts.reduce((a, b) => a + b, 0)} of ${expected * handles.length}`
    }
    const end = performance.now()
    const mem = server.mem()
    const serverCpuMs = server.cpuMs() - cpu0
    const clientCpuMs = selfCpuMs() - self0
    const last = doneAt.length === handles.length && !doneAt.includes(undefined as never) ? Math.max(...doneAt) : end
    return {
      ok: error === undefined,
      ...(error ? { error } : {}),
      convergeMs: last - t0,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      deliveries: latencies.length,
      setupMs,
      serverCpuMs,
      clientCpuMs,
      mem,
    }
  } finally {
    for (const term of terminals) term.close()
  }
}
