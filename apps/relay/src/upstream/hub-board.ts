/**
 * On the central relay: the store hubs linked to it right now and what each last said
 * about its forwarding (the `link` frame): rows and seconds behind, the hub's forwarded
 * cursor, last contact. In memory, like the terminal board; a hub that left is kept
 * (as disconnected, with its last figures) so the dashboard says "hub X: down since …".
 */
export interface HubLinkFigures {
  rowsBehind: number
  secondsBehind: number
  forwardedSeq: number
}

export interface HubLive {
  hub: string
  connected: boolean
  /** Last frame of any kind from the hub (ms since epoch). */
  lastContact: number
  /** Latest `link` report, null until the hub sent one. */
  report: (HubLinkFigures & { at: number }) | null
}

export interface HubBoard {
  open(key: object, store: string, hub: string): void
  heard(key: object): void
  report(key: object, figures: HubLinkFigures): void
  close(key: object): void
  list(store: string): HubLive[]
}

export const MAX_HUBS_KEPT = 1_000

export function createHubBoard(): HubBoard {
  const conns = new Map<object, { store: string; hub: string }>()
  const hubs = new Map<string, HubLive & { store: string; open: number }>()
  const keyOf = (store: string, hub: string) => `${store}\u0000${hub}`
  const entry = (key: object) => {
    const c = conns.get(key)
    return c ? hubs.get(keyOf(c.store, c.hub)) : undefined
  }
  return {
    open(key, store, hub) {
      conns.set(key, { store, hub })
      const k = keyOf(store, hub)
      const h = hubs.get(k) ?? { store, hub, connected: false, lastContact: 0, report: null, open: 0 }
      h.open++
      h.connected = true
      h.lastContact = Date.now()
      hubs.delete(k)
      hubs.set(k, h)
      if (hubs.size > MAX_HUBS_KEPT) hubs.delete(hubs.keys().next().value as string)
    },
    heard(key) {
      const h = entry(key)
      if (h) h.lastContact = Date.now()
    },
    report(key, figures) {
      const h = entry(key)
      if (!h) return
      h.lastContact = Date.now()
      h.report = { ...figures, at: h.lastContact }
    },
    close(key) {
      const h = entry(key)
      conns.delete(key)
      if (!h) return
      h.open = Math.max(0, h.open - 1)
      h.connected = h.open > 0
    },
    list(store) {
      const out: HubLive[] = []
      for (const h of hubs.values()) if (h.store === store) out.push({ hub: h.hub, connected: h.connected, lastContact: h.lastContact, report: h.report ? { ...h.report } : null })
      return out.sort((a, b) => (a.hub < b.hub ? -1 : 1))
    },
  }
}
