/** Client-side routes under /admin: `/admin/{screen}[/{param}]`, history API, no library. */
import { useEffect, useState } from 'react'

export const SCREENS = ['dashboard', 'reports', 'tickets', 'stock', 'conflicts', 'products', 'partners', 'staff', 'visits', 'terminals', 'audit', 'settings'] as const
export type Screen = (typeof SCREENS)[number]

export interface Route {
  screen: Screen
  param: string | null
  query: URLSearchParams
}

export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.replace(/^\/admin\/?/, '').split('/').filter((p) => p !== '')
  const first = parts[0] ?? 'dashboard'
  const screen = (SCREENS as readonly string[]).includes(first) ? (first as Screen) : 'dashboard'
  const param = parts[1] !== undefined ? decodeURIComponent(parts[1]) : null
  return { screen, param, query: new URLSearchParams(search) }
}

export function hrefFor(screen: Screen, param?: string | null): string {
  return `/admin/${screen}${param ? `/${encodeURIComponent(param)}` : ''}`
}

const EVENT = 'tally-admin-navigate'

export function navigate(href: string): void {
  if (href === location.pathname + location.search) return
  history.pushState(null, '', href)
  window.dispatchEvent(new Event(EVENT))
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search))
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.search))
    window.addEventListener('popstate', update)
    window.addEventListener(EVENT, update)
    return () => {
      window.removeEventListener('popstate', update)
      window.removeEventListener(EVENT, update)
    }
  }, [])
  return route
}
