/**
 * "Ready offline" (POS20): the terminal can be reloaded and sell with no network once
 * (1) a service worker controls the page and its precache holds the app shell, and
 * (2) the store's documents (catalog, roster) have been synced with the relay once, so
 * IndexedDB holds them. The second fact is remembered on the device: a reload offline
 * still knows the documents are there.
 */
import { useEffect, useState } from 'react'
import { catalogDocName, rosterDocName } from '@tally/schema'
import type { Terminal } from './terminal.ts'

const DOCS_KEY = 'docsOnDeviceAt'

export interface OfflineReadiness {
  shell: boolean
  docs: boolean
}

/** Resolves true when the page is controlled and the precached shell answers `/index.html`. */
async function shellCached(): Promise<boolean> {
  if (!('serviceWorker' in navigator) || !('caches' in window)) return false
  const sw = navigator.serviceWorker
  await sw.ready
  if (sw.controller === null) await new Promise<void>((r) => sw.addEventListener('controllerchange', () => r(), { once: true }))
  // Workbox keys unhashed files with a revision query (`/index.html?__WB_REVISION__=`).
  return (await caches.match('/index.html', { ignoreSearch: true })) !== undefined
}

export function useOfflineReady(term: Terminal): OfflineReadiness {
  const [shell, setShell] = useState(false)
  const [docs, setDocs] = useState(() => term.local.get<number | null>(DOCS_KEY, null) !== null)
  useEffect(() => {
    let live = true
    // A worker installed after this page loaded only controls it after `clientsClaim`;
    // an update re-checks so the badge follows the shell actually serving this page.
    const check = (): void => {
      shellCached().then(
        (ok) => live && setShell(ok),
        () => live && setShell(false),
      )
    }
    check()
    navigator.serviceWorker?.addEventListener('controllerchange', check)
    return () => {
      live = false
      navigator.serviceWorker?.removeEventListener('controllerchange', check)
    }
  }, [])
  useEffect(() => {
    let live = true
    const { store } = term.session
    void Promise.all([term.client.whenSynced(catalogDocName(store)), term.client.whenSynced(rosterDocName(store))]).then(() => {
      term.local.set(DOCS_KEY, Date.now())
      if (live) setDocs(true)
    })
    return () => {
      live = false
    }
  }, [term])
  return { shell, docs }
}
