import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react'
import type { Terminal } from './terminal.ts'

export const TerminalContext = createContext<Terminal | null>(null)

/** The terminal, re-rendering the caller on every document update or sync event. */
export function useTerminal(): Terminal {
  const t = useContext(TerminalContext)
  if (t === null) throw new Error('useTerminal outside <TerminalContext>')
  useSyncExternalStore(t.subscribe, t.getVersion)
  return t
}

/** Current time, refreshed every `ms`, for "last sync 5 min ago" and the one-hour alert. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(id)
  }, [ms])
  return now
}
