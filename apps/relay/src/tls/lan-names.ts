/**
 * The names a terminal on the LAN may use to reach this machine: every IPv4 and global
 * IPv6 address of its interfaces, loopback, `localhost`, the host name and its mDNS
 * `.local` form, plus any the operator adds (TLS_NAMES). They become the server
 * certificate's subject alternative names; a change (a new DHCP lease) re-issues it.
 */
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { isIP } from 'node:net'

export interface LanNames {
  /** IP addresses, sorted. */
  readonly ips: readonly string[]
  /** DNS names, lower case, sorted. */
  readonly dns: readonly string[]
}

/** A link-local IPv6 address (fe80::/10) needs a zone id no URL of a browser carries. */
function linkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address)
}

export function lanNames(extra: readonly string[] = [], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(), host: string = hostname()): LanNames {
  const ips = new Set<string>(['127.0.0.1', '::1'])
  const dns = new Set<string>(['localhost'])
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) {
      if (i.family === 'IPv6' && linkLocal6(i.address)) continue
      ips.add(i.address.toLowerCase())
    }
  }
  const name = host.trim().toLowerCase()
  if (name !== '' && isIP(name) === 0) {
    dns.add(name)
    if (!name.includes('.')) dns.add(`${name}.local`)
  }
  for (const raw of extra) {
    const n = raw.trim().toLowerCase()
    if (n === '') continue
    if (isIP(n) !== 0) ips.add(n)
    else dns.add(n)
  }
  return { ips: [...ips].sort(), dns: [...dns].sort() }
}

export function sameNames(a: LanNames, b: LanNames): boolean {
  return a.ips.join(',') === b.ips.join(',') && a.dns.join(',') === b.dns.join(',')
}
