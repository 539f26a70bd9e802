/**
 * The back office's own i18next namespace (`admin`), added to the shared instance that
 * src/i18n sets up (language choice, Spanish default for Spanish browsers) when the lazy
 * admin chunk loads, so the terminal's bundle never carries these strings.
 */
import i18n from 'i18next'
import { en } from './en.ts'
import { es } from './es.ts'

export const ADMIN_NS = 'admin'

export function registerAdminI18n(): void {
  if (!i18n.hasResourceBundle('es', ADMIN_NS)) i18n.addResourceBundle('es', ADMIN_NS, es, true, true)
  if (!i18n.hasResourceBundle('en', ADMIN_NS)) i18n.addResourceBundle('en', ADMIN_NS, en, true, true)
}
