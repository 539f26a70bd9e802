/**
 * Settling after the night: every link healed and the relay up, then waiting (on
 * conditions, each bounded) until every terminal has nothing pending, the projection's
 * checkpoint covers the log, and every receipt on every screen shows a final state.
 * What did not settle in time is returned as a finding, not hidden behind a timeout.
 */
import type { Floor } from './night-floor.ts'
import { waitUntil } from './night-floor.ts'

/** Receipt states that still wait for the server; everything else is final. */
const UNSETTLED = new Set(['local', 'durable'])

/**
 * `boundMs` bounds syncing and projecting; verdicts then get `verdictMs` to reach the
 * screens (the relay relays a write-back as soon as it is committed).
 */
export async function settle(floor: Floor, boundMs = 40_000, verdictMs = 8_000): Promise<string[]> {
  const findings: string[] = []
  await floor.healAll()
  const deadline = Date.now() + boundMs
  const left = (): number => Math.max(1000, deadline - Date.now())

  const synced = await waitUntil(() => floor.stations.every((s) => s.terminal.client.status === 'online' && s.terminal.client.pending() === 0), left(), 50)
  if (!synced) {
    for (const s of floor.stations) {
      const c = s.terminal.client
      if (c.status !== 'online' || c.pending() > 0) findings.push(`${s.name} did not sync: status ${c.status}, ${c.pending()} pending, refused ${JSON.stringify(c.refused())}`)
    }
    return findings
  }

  const projected = await waitUntil(async () => {
    const d = await floor.relay.api<{ projection: { checkpoint: number; head: number } }>('GET', '/dashboard')
    return d.projection.checkpoint >= d.projection.head ? d.projection : undefined
  }, left(), 100)
  if (!projected) {
    const d = await floor.relay.api<{ projection: unknown }>('GET', '/dashboard')
    findings.push(`the projection did not catch up with the log: ${JSON.stringify(d.projection)}`)
    return findings
  }

  const final = await waitUntil(() => floor.stations.every((s) => s.terminal.tickets.receipts.every((r) => !UNSETTLED.has(r.state))), verdictMs, 50)
  if (!final) {
    for (const s of floor.stations) {
      for (const r of s.terminal.tickets.receipts) if (UNSETTLED.has(r.state)) findings.push(`${s.name}: receipt ${r.id} still shows '${r.state}' after the server settled`)
    }
  }
  return findings
}
