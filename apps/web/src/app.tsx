/**
 * Two routes, one bundle entry: /pos (the terminal, loaded eagerly) and /admin (the back
 * office, lazy so its code and chart.js never weigh on the terminal's first load).
 */
import { lazy, Suspense } from 'react'
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
  if (path !== '/pos' && !path.startsWith('/pos/')) history.replaceState(null, '', '/pos' + location.search)
  return <PosApp />
}
