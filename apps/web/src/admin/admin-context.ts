/** What every screen needs: the REST client, the signed-in user and the live feed. */
import { createContext, useContext } from 'react'
import type { Api } from './api.ts'
import type { Live } from './live.ts'
import type { AdminSession } from './session.ts'

export interface AdminContext {
  api: Api
  session: AdminSession
  live: Live
  signOut(): void
}

export const AdminCtx = createContext<AdminContext | null>(null)

export function useAdmin(): AdminContext {
  const c = useContext(AdminCtx)
  if (c === null) throw new Error('useAdmin outside the admin app')
  return c
}
