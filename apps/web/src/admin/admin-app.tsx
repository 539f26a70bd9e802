/**
 * The back office (/admin), lazy-loaded by src/app.tsx so neither it nor chart.js weighs
 * on the terminal's first load. Signs in with email and password (JWT in localStorage),
 * then shows one screen per route with the live dashboard feed shared by all of them.
 */
import { useCallback, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { createApi } from './api.ts'
import { AdminCtx, type AdminContext } from './admin-context.ts'
import { registerAdminI18n } from './i18n/index.ts'
import { useLiveDashboard } from './live.ts'
import { hrefFor, navigate, SCREENS, useRoute, type Screen } from './router.ts'
import { clearSession, loadSession, saveSession, type AdminSession } from './session.ts'
import { LoginScreen } from './screens/login.tsx'
import { DashboardScreen } from './screens/dashboard.tsx'
import { ReportsScreen } from './screens/reports.tsx'
import { StockScreen } from './screens/stock.tsx'
import { TicketsScreen } from './screens/tickets.tsx'
import { ConflictsScreen } from './screens/conflicts.tsx'
import { ProductsScreen } from './screens/products.tsx'
import { PartnersScreen } from './screens/partners.tsx'
import { VisitsScreen } from './screens/visits.tsx'
import { TerminalsScreen } from './screens/terminals.tsx'
import { AuditScreen } from './screens/audit.tsx'
import { SettingsScreen } from './screens/settings.tsx'
import { StaffScreen } from './screens/staff.tsx'
import { LanguagePicker } from './ui/language-picker.tsx'
import './admin.css'

registerAdminI18n()

export default function AdminApp() {
  const [session, setSession] = useState<AdminSession | null>(() => loadSession())
  const [expired, setExpired] = useState(false)
  const signIn = useCallback((s: AdminSession) => {
    saveSession(s)
    setExpired(false)
    setSession(s)
  }, [])
  const signOut = useCallback((why?: 'expired') => {
    clearSession()
    setExpired(why === 'expired')
    setSession(null)
  }, [])
  if (session === null) return <LoginScreen onSignedIn={signIn} expired={expired} />
  return <SignedIn key={session.token} session={session} signOut={signOut} />
}

function SignedIn({ session, signOut }: { session: AdminSession; signOut: (why?: 'expired') => void }) {
  const { t } = useTranslation('admin')
  const route = useRoute()
  const authLost = useCallback(() => signOut('expired'), [signOut])
  const api = useMemo(() => createApi({ token: () => session.token, onAuthLost: authLost }), [session.token, authLost])
  const live = useLiveDashboard(session.token, authLost)
  const ctx: AdminContext = useMemo(() => ({ api, session, live, signOut: () => signOut() }), [api, session, live, signOut])
  const open = live.data?.openConflicts ?? 0
  return (
    <AdminCtx.Provider value={ctx}>
      <div className="adm" data-testid="admin">
        <header className="adm-top">
          <div className="brand">
            <b>Tally</b>
            <span className="who">
              {t('title')} · {session.user.store}
            </span>
          </div>
          <span className={`adm-live adm-live-${live.state}`} data-testid="live" data-state={live.state} title={t(`live.${live.state}Help`)}>
            <span className="status-dot" /> {t(`live.${live.state}`)}
          </span>
          <span className="adm-spacer" />
          <LanguagePicker />
          <span className="who" data-testid="user">
            {session.user.email}
          </span>
          <button type="button" className="btn btn-small" onClick={() => signOut()} data-testid="logout">
            {t('nav.logout')}
          </button>
        </header>
        <div className="adm-body">
          <nav className="adm-nav" aria-label={t('title')}>
            {SCREENS.map((s: Screen) => (
              <a
                key={s}
                href={hrefFor(s)}
                className={route.screen === s ? 'active' : undefined}
                aria-current={route.screen === s ? 'page' : undefined}
                data-testid={`nav-${s}`}
                onClick={(e) => {
                  if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
                  e.preventDefault()
                  navigate(hrefFor(s))
                }}
              >
                {t(`nav.${s}`)}
                {s === 'conflicts' && open > 0 ? (
                  <span className="count" data-testid="nav-conflicts-count">
                    {open}
                  </span>
                ) : null}
              </a>
            ))}
            <a href="/pos" className="adm-nav-pos">
              {t('nav.pos')}
            </a>
          </nav>
          <main className="adm-main">
            <CurrentScreen screen={route.screen} param={route.param} />
          </main>
        </div>
      </div>
    </AdminCtx.Provider>
  )
}

function CurrentScreen({ screen, param }: { screen: Screen; param: string | null }) {
  switch (screen) {
    case 'dashboard':
      return <DashboardScreen />
    case 'reports':
      return <ReportsScreen />
    case 'tickets':
      return <TicketsScreen selected={param} />
    case 'stock':
      return <StockScreen />
    case 'conflicts':
      return <ConflictsScreen selected={param} />
    case 'products':
      return <ProductsScreen />
    case 'partners':
      return <PartnersScreen />
    case 'staff':
      return <StaffScreen />
    case 'visits':
      return <VisitsScreen />
    case 'terminals':
      return <TerminalsScreen terminalId={param} />
    case 'audit':
      return <AuditScreen />
    case 'settings':
      return <SettingsScreen />
    default: {
      const never: never = screen
      return never
    }
  }
}
