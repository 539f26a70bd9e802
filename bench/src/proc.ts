/**
 * Reads a process's memory and CPU time from /proc (Linux only), so a server's cost is
 * measured from outside, the same way for every server whatever language runs it.
 */
import { readFileSync } from 'node:fs'

export interface MemSample {
  /** Resident set size now, MiB. */
  readonly rssMiB: number
  /** Peak resident set size since start, MiB. */
  readonly hwmMiB: number
}

function statusField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)
  return m ? Number(m[1]) / 1024 : Number.NaN
}

export function readMem(pid: number): MemSample {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { rssMiB: statusField(text, 'VmRSS'), hwmMiB: statusField(text, 'VmHWM') }
  } catch {
    return { rssMiB: Number.NaN, hwmMiB: Number.NaN }
  }
}

/** User + system CPU time of a process in milliseconds (clock ticks are 10 ms on Linux). */
export function readCpuMs(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return (utime + stime) * 10
  } catch {
    return Number.NaN
  }
}

/** CPU time of this process (the bench and its in-process clients), milliseconds. */
export function selfCpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
