/**
 * The servers and client libraries the relay bench compares. A target is one server
 * configuration plus the client that talks to it; Tally appears once per client it
 * supports (stock y-websocket on /sync, and the @tally/client mux when it exists).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { hocuspocusKit } from '../clients/hocuspocus.ts'
import type { ClientKit } from '../clients/types.ts'
import { yWebsocketKit } from '../clients/y-websocket.ts'
import { REPO_ROOT, type RunningServer, type ServerSpec } from '../servers/spawn.ts'
import { BENCH_JWT_SECRET, terminalToken } from '../tally-token.ts'
import { BENCH_STORE } from '../tickets.ts'

export const Workload = { fanout: 'fanout', manydocs: 'manydocs', crash: 'crash' } as const
export type Workload = (typeof Workload)[keyof typeof Workload]

export interface Target {
  readonly id: string
  readonly label: string
  readonly spec: ServerSpec
  /** The peer this target is (for ratios); undefined for Tally targets. */
  readonly peer: 'ref' | 'hocuspocus' | undefined
  readonly workloads: ReadonlySet<Workload>
  kit(server: RunningServer): ClientKit
}

const ALL: ReadonlySet<Workload> = new Set(Object.values(Workload))
const CRASH_ONLY: ReadonlySet<Workload> = new Set([Workload.crash])

const tallyParams = (id: string) => terminalToken(BENCH_JWT_SECRET, BENCH_STORE, id).then((token) => ({ token }))

export function tallyAvailable(root: string = REPO_ROOT): boolean {
  return existsSync(join(root, 'apps/relay/src/main.ts'))
}

export interface TargetOptions {
  readonly tallyRoot: string | undefined
  readonly postgresUrl: string | undefined
  /** A ClientKit factory for the Tally mux client when packages/client is ready. */
  readonly muxKit: ((server: RunningServer) => ClientKit) | undefined
}

export function relayTargets(opts: TargetOptions): Target[] {
  const targets: Target[] = []
  if (tallyAvailable(opts.tallyRoot)) {
    const dbs: Array<{ suffix: string; label: string; url: string | undefined }> = [
      { suffix: 'pglite', label: 'PGlite', url: undefined },
      ...(opts.postgresUrl ? [{ suffix: 'pg', label: 'Postgres', url: opts.postgresUrl }] : []),
    ]
    for (const db of dbs) {
      const spec: ServerSpec = { id: `tally-${db.suffix}`, kind: 'tally', label: `Tally (${db.label})`, persist: true, databaseUrl: db.url }
      targets.push({
        id: `tally-${db.suffix}-sync`,
        label: `Tally ${db.label}, stock /sync`,
        spec,
        peer: undefined,
        workloads: ALL,
        kit: (s) => yWebsocketKit({ serverUrl: `ws://127.0.0.1:${s.port}/sync`, params: tallyParams }),
      })
      if (opts.muxKit) {
        targets.push({
          id: `tally-${db.suffix}-mux`,
          label: `Tally ${db.label}, mux client`,
          spec,
          peer: undefined,
          workloads: new Set([Workload.fanout, Workload.manydocs]),
          kit: opts.muxKit,
        })
      }
    }
  }
  const ref: ServerSpec = { id: 'ref', kind: 'ref', label: 'y-websocket 2.1 server', persist: false }
  const hp: ServerSpec = { id: 'hocuspocus', kind: 'hocuspocus', label: 'Hocuspocus 4', persist: false }
  const refKit = (s: RunningServer) => yWebsocketKit({ serverUrl: `ws://127.0.0.1:${s.port}` })
  const hpKit = (s: RunningServer) => hocuspocusKit(`ws://127.0.0.1:${s.port}`)
  targets.push(
    { id: 'ref', label: 'y-websocket ref (memory)', spec: ref, peer: 'ref', workloads: ALL, kit: refKit },
    { id: 'hocuspocus', label: 'Hocuspocus 4 (memory)', spec: hp, peer: 'hocuspocus', workloads: ALL, kit: hpKit },
    {
      id: 'ref-leveldb',
      label: 'y-websocket ref + y-leveldb',
      spec: { ...ref, id: 'ref-leveldb', persist: true },
      peer: undefined,
      workloads: CRASH_ONLY,
      kit: refKit,
    },
    {
      id: 'hocuspocus-file',
      label: 'Hocuspocus 4 + onStoreDocument file',
      spec: { ...hp, id: 'hocuspocus-file', persist: true },
      peer: undefined,
      workloads: CRASH_ONLY,
      kit: hpKit,
    },
  )
  return targets
}
