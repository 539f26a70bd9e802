/** What the numbers were measured on; written into every results file. */
import { cpus, totalmem } from 'node:os'

export function machineInfo() {
  const c = cpus()
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    caveat: 'bench clients, servers (and Postgres) share these cores',
  }
}
