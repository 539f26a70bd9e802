/**
 * The Tally mux client (@tally/client createSyncClient), one socket per terminal, when
 * packages/client is ready. Until then the bench runs without it.
 */
import type { RunningServer } from '../servers/spawn.ts'
import type { ClientKit } from './types.ts'

export async function muxKitIfReady(): Promise<((server: RunningServer) => ClientKit) | undefined> {
  return undefined
}
