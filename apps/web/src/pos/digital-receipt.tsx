/**
 * The public digital receipt at /pos/receipt/{token}: a customer opens the link (or the
 * printed address) on their phone, no pairing, no login. Read-only, from the relay's
 * /api/v1/receipts/{token}.
 */
import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { ReceiptView, type ReceiptData } from './receipt-view.tsx'

export const RECEIPT_PATH = '/pos/receipt/'

export function DigitalReceipt({ token }: { token: string }) {
  const { t } = useTranslation()
  const [state, setState] = useState<{ receipt: ReceiptData } | 'loading' | 'missing'>('loading')
  useEffect(() => {
    let live = true
    fetch(`/api/v1/receipts/${encodeURIComponent(token)}`)
      .then(async (r) => (r.ok ? ((await r.json()) as ReceiptData) : null))
      .then((receipt) => live && setState(receipt === null ? 'missing' : { receipt }))
      .catch(() => live && setState('missing'))
    return () => {
      live = false
    }
  }, [token])
  return (
    <main className="receipt-page" data-testid="digital-receipt">
      {state === 'loading' && <p>{t('receipt.loading')}</p>}
      {state === 'missing' && <p data-testid="receipt-missing">{t('receipt.missing')}</p>}
      {typeof state === 'object' && (
        <>
          <ReceiptView receipt={state.receipt} />
          <p className="no-print" style={{ textAlign: 'center' }}>
            <button type="button" className="btn" data-testid="receipt-print" onClick={() => window.print()}>
              {t('receipt.print')}
            </button>
          </p>
        </>
      )}
    </main>
  )
}
