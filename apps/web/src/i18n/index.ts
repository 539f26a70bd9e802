/**
 * Spanish and English. Spanish when the browser prefers it (the bar staff of the source
 * documents speak Spanish), English otherwise; a choice made on the device wins.
 */
import i18n from 'i18next'
import { initReactI18next } from 'react-i18next'
import { en } from './en.ts'
import { es } from './es.ts'

export const LANGUAGES = ['es', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
const KEY = 'tally.lang'

export function pickLanguage(saved: string | null, preferred: readonly string[]): Language {
  if (saved === 'es' || saved === 'en') return saved
  for (const l of preferred) {
    const base = l.toLowerCase().split('-')[0]
    if (base === 'es' || base === 'en') return base
  }
  return 'es'
}

export function initI18n(): typeof i18n {
  const lng = pickLanguage(localStorage.getItem(KEY), navigator.languages ?? [navigator.language])
  void i18n.use(initReactI18next).init({
    resources: { es: { translation: es }, en: { translation: en } },
    lng,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    initAsync: false,
  })
  document.documentElement.lang = lng
  return i18n
}

export function setLanguage(lng: Language): void {
  localStorage.setItem(KEY, lng)
  document.documentElement.lang = lng
  void i18n.changeLanguage(lng)
}
