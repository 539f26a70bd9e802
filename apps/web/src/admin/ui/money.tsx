import { useTranslation } from 'react-i18next'
import { formatMoney } from '../format.ts'

/** Money from integer cents, in the UI's language; the raw cents stay in data-cents for tests. */
export function Money({ cents, testId }: { cents: number; testId?: string }) {
  const { i18n } = useTranslation()
  return (
    <span className={cents < 0 ? 'adm-money neg' : 'adm-money'} data-cents={cents} data-testid={testId}>
      {formatMoney(cents, i18n.language)}
    </span>
  )
}
