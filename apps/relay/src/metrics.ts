/** Prometheus metrics, one registry per relay (so tests can run several relays). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface RelayMetrics {
  readonly registry: Registry
  readonly connections: Gauge
  readonly loadedDocs: Gauge
  /** 1 while this process's projector holds the lease (projections/src/lease.ts), else 0. */
  readonly projectorLeader: Gauge
  readonly appends: Counter
  readonly appendBatchSize: Histogram
  readonly appendLatency: Histogram
  readonly acks: Counter
  readonly refusals: Counter<'reason'>
  readonly relayed: Counter
  /** Log rows (and their update bytes) this relay read for other processes' writes. */
  readonly catchupRows: Counter
  readonly catchupBytes: Counter
  /** Catch-up reads by what started them: a notice, a feed gap, the periodic check, compaction. */
  readonly catchups: Counter<'reason'>
}

export function createMetrics(withDefaults = false): RelayMetrics {
  const registry = new Registry()
  if (withDefaults) collectDefaultMetrics({ register: registry })
  const r = [registry]
  return {
    registry,
    connections: new Gauge({ name: 'tally_connections', help: 'Open WebSocket connections', registers: r }),
    loadedDocs: new Gauge({ name: 'tally_loaded_documents', help: 'Documents loaded in memory', registers: r }),
    projectorLeader: new Gauge({ name: 'tally_projector_leader', help: 'Whether this process runs the leading projector (1) or a standby or none (0)', registers: r }),
    appends: new Counter({ name: 'tally_log_appends_total', help: 'Updates appended to the log', registers: r }),
    appendBatchSize: new Histogram({
      name: 'tally_log_append_batch_size',
      help: 'Updates per group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: r,
    }),
    appendLatency: new Histogram({
      name: 'tally_log_append_seconds',
      help: 'Time from an update entering the queue to its commit',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    acks: new Counter({ name: 'tally_acks_total', help: 'Durable acks sent', registers: r }),
    refusals: new Counter({ name: 'tally_refusals_total', help: 'Refused messages by reason', labelNames: ['reason'], registers: r }),
    relayed: new Counter({ name: 'tally_relayed_updates_total', help: 'Updates relayed to other clients', registers: r }),
    catchupRows: new Counter({ name: 'tally_log_catchup_rows_total', help: "Log rows read for other processes' writes to held documents", registers: r }),
    catchupBytes: new Counter({ name: 'tally_log_catchup_bytes_total', help: "Update bytes of the log rows read for other processes' writes", registers: r }),
    catchups: new Counter({ name: 'tally_log_catchups_total', help: 'Catch-up reads of the log by reason (notice, gap, check, compaction)', labelNames: ['reason'], registers: r }),
  }
}
