import { useTranslation } from 'react-i18next'
import { setLanguage, LANGUAGES, type Language } from '../../i18n/index.ts'

/** Uses the shared language switch, so the terminal and the back office agree. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation('admin')
  return (
    <select
      className="lang"
      aria-label={t('nav.language')}
      value={i18n.language}
      onChange={(e) => setLanguage(e.target.value as Language)}
      data-testid="lang"
    >
      {LANGUAGES.map((l) => (
        <option key={l} value={l}>
          {l === 'es' ? 'Español' : 'English'}
        </option>
      ))}
    </select>
  )
}
