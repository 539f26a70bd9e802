/**
 * Two routes, one bundle entry: /pos (the terminal, loaded eagerly) and /admin (the back
 * office, lazy so its code and chart.js never weigh on the terminal's first load).
 */
import { lazy, Suspense } from 'react'
import { CA_PAGE_PATH, CaInstall } from './pos/ca-install.tsx'
import { DigitalReceipt, RECEIPT_PATH } from './pos/digital-receipt.tsx'
import { PosApp } from './pos/pos-app.tsx'

const AdminApp = lazy(() => import('./admin/admin-app.tsx'))

export function App() {
  const path = location.pathname
  if (path === '/admin' || path.startsWith('/admin/')) {
    return (
      <Suspense fallback={<div className="loading">…</div>}>
        <AdminApp />
      </Suspense>
    )
  }
  // A customer's digital receipt: public, no pairing.
  if (path.startsWith(RECEIPT_PATH)) return <DigitalReceipt token={decodeURIComponent(path.slice(RECEIPT_PATH.length))} />
  // Trusting a store hub's HTTPS: public, before pairing.
  if (path === CA_PAGE_PATH) return <CaInstall />
  if (path !== '/pos' && !path.startsWith('/pos/')) history.replaceState(null, '', '/pos' + location.search)
  return <PosApp />
}
