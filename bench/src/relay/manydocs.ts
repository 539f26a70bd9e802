/**
 * manydocs: N terminals each made M tickets offline (one document per ticket); then all
 * connect at once. Measured: time from the first connect until the server provably holds
 * every ticket (full-state probe over the stock protocol, or a durable ack for the Tally
 * mux client), and until every client finished its first sync.
 */
import { performance } from 'node:perf_hooks'
import type { ClientKit, DocHandle, Terminal } from '../clients/types.ts'
import { selfCpuMs, type MemSample } from '../proc.ts'
import type { RunningServer } from '../servers/spawn.ts'
import { percentile } from '../stats.ts'
import { makeTicketDoc, prng } from '../tickets.ts'
import { withDeadline } from '../deadline.ts'

export interface ManydocsOptions {
  readonly terminals: number
  readonly tickets: number
  readonly timeoutMs: number
  readonly seed: number
}

export interface ManydocsResult {
  readonly ok: boolean
  readonly error?: string
  /** First connect until the server holds the last ticket. */
  readonly allOnServerMs: number
  /** Per ticket, first connect until the server holds it. */
  readonly p50Ms: number
  readonly p99Ms: number
  /** First connect until every client had its first sync answer. */
  readonly allSyncedMs: number
  readonly docs: number
  readonly serverCpuMs: number
  readonly clientCpuMs: number
  readonly mem: MemSample
}

export async function runManydocs(server: RunningServer, kit: ClientKit, opts: ManydocsOptions): Promise<ManydocsResult> {
  const rand = prng(opts.seed)
  const offline = Array.from({ length: opts.terminals }, (_, t) =>
    Array.from({ length: opts.tickets }, () => makeTicketDoc(`t${t}`, rand)),
  )
  const terminals: Terminal[] = []
  const onServer: number[] = []
  const synced: number[] = []
  let failures = 0
  let error: string | undefined
  const cpu0 = server.cpuMs()
  const self0 = selfCpuMs()
  const t0 = performance.now()
  const deadline = Date.now() + opts.timeoutMs
  const all = Promise.all(
    offline.map(async (tickets, t) => {
      const term = await kit.terminal(`t${t}`)
      terminals.push(term)
      const handles: DocHandle[] = await Promise.all(tickets.map((tk) => term.open(tk.name, tk.doc)))
      await Promise.all(
        handles.map(async (h) => {
          await h.synced
          synced.push(performance.now() - t0)
          if (await h.serverHasAll(deadline)) onServer.push(performance.now() - t0)
          else failures++
        }),
      )
    }),
  )
  try {
    await withDeadline(all, deadline + 1_000, 'every ticket on the server')
  } catch (err) {
    error = (err as Error).message
  }
  // Read memory while every client is still connected.
  const mem = server.mem()
  const serverCpuMs = server.cpuMs() - cpu0
  const clientCpuMs = selfCpuMs() - self0
  for (const term of terminals) term.close()
  const docs = opts.terminals * opts.tickets
  const ok = error === undefined && failures === 0 && onServer.length === docs
  return {
    ok,
    ...(ok ? {} : { error: `${error ?? ''} ${onServer.length} of ${docs} tickets reached the server`.trim() }),
    allOnServerMs: ok ? Math.max(...onServer) : Number.NaN,
    p50Ms: percentile(onServer, 50),
    p99Ms: percentile(onServer, 99),
    allSyncedMs: synced.length === docs ? Math.max(...synced) : Number.NaN,
    docs,
    serverCpuMs,
    clientCpuMs,
    mem,
  }
}
