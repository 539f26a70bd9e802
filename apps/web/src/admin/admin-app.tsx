/** Placeholder for the back office (issue 5); lazy-loaded, so chart.js belongs here only. */
import { useTranslation } from 'react-i18next'

export default function AdminApp() {
  const { t } = useTranslation()
  return (
    <main className="admin-placeholder" data-testid="admin">
      <h1>{t('admin.title')}</h1>
      <p>{t('admin.coming')}</p>
      <p>
        <a href="/pos">{t('admin.toPos')}</a>
      </p>
    </main>
  )
}
