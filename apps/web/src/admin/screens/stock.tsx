/**
 * Stock levels per product with oversold rows highlighted, and the two corrections a shop
 * makes: an adjustment (breakage, delivery: a delta) and a physical count (the level the
 * shelf really has; the server turns it into the delta).
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { signed } from '../labels.ts'
import { listOf, type StockRow } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { useThrottled } from '../ui/use-throttled.ts'

type Mode = 'adjust' | 'count'

const opening = (r: StockRow) => r.opening ?? 0
const adjustments = (r: StockRow) => r.adjustments ?? r.adjusted - opening(r)

export function StockScreen() {
  const { t, i18n } = useTranslation('admin')
  const lang = i18n.language
  const { api, live } = useAdmin()
  const head = useThrottled(live.data?.projection.checkpoint ?? 0, 1500)
  const stock = useLoad(() => api.get<unknown>('/stock').then((v) => listOf<StockRow>(v, 'stock', 'levels')), [head])
  const [form, setForm] = useState<{ productId: string; mode: Mode } | null>(null)
  const rows = [...(stock.data ?? [])].sort((a, b) => Number(b.level < 0) - Number(a.level < 0) || a.name.localeCompare(b.name))
  const oversold = rows.filter((r) => r.oversold || r.level < 0).length
  const columns: Column<StockRow>[] = [
    {
      key: 'name',
      header: t('stock.product'),
      cell: (r) => (
        <>
          {r.name}
          {r.oversold || r.level < 0 ? <span className="adm-pill danger">{t('stock.oversold')}</span> : null}
        </>
      ),
      csv: (r) => r.name,
    },
    // Opening + adjustments − sold = level; older servers send only `adjusted` (their sum).
    { key: 'opening', header: t('stock.opening'), numeric: true, cell: (r) => <span data-testid="stock-opening">{opening(r)}</span>, csv: opening },
    { key: 'adjustments', header: t('stock.adjusted'), numeric: true, cell: (r) => <span data-testid="stock-adjustments">{signed(adjustments(r), lang)}</span>, csv: adjustments },
    { key: 'sold', header: t('stock.sold'), numeric: true, cell: (r) => <span data-testid="stock-sold">{r.sold === 0 ? '0' : `−${r.sold}`}</span>, csv: (r) => r.sold },
    { key: 'level', header: t('stock.level'), numeric: true, cell: (r) => <b data-testid="stock-level" className={r.level < 0 ? 'adm-danger-text' : undefined}>{r.level}</b>, csv: (r) => r.level },
    {
      key: 'actions',
      header: '',
      cell: (r) => (
        <span className="adm-actions">
          <button type="button" className="btn btn-small" onClick={() => setForm({ productId: r.productId, mode: 'adjust' })} data-testid="stock-adjust">
            {t('stock.adjust')}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setForm({ productId: r.productId, mode: 'count' })} data-testid="stock-count">
            {t('stock.count')}
          </button>
        </span>
      ),
    },
    { key: 'productId', header: 'ID', cell: () => null, csv: (r) => r.productId, csvOnly: true },
  ]
  return (
    <section data-testid="stock">
      <h1>{t('nav.stock')}</h1>
      {oversold > 0 ? (
        <p className="adm-alert adm-alert-error" data-testid="oversold-summary">
          {t('stock.oversoldSummary', { count: oversold })}
        </p>
      ) : null}
      <ErrorBanner error={stock.error} />
      {form !== null ? (
        <StockForm
          key={`${form.productId}-${form.mode}`}
          row={rows.find((r) => r.productId === form.productId) ?? null}
          mode={form.mode}
          onDone={() => {
            setForm(null)
            stock.reload()
          }}
          onCancel={() => setForm(null)}
        />
      ) : null}
      <DataTable
        rows={rows}
        columns={columns}
        rowKey={(r) => r.productId}
        csvName="stock"
        testId="stock-table"
        rowClass={(r) => (r.oversold || r.level < 0 ? 'adm-row-danger' : '')}
        rowProps={(r) => ({ 'data-product-id': r.productId, 'data-level': String(r.level), 'data-oversold': String(r.oversold || r.level < 0) })}
        empty={stock.loading ? t('common.loading') : t('stock.none')}
      />
    </section>
  )
}

function StockForm({ row, mode, onDone, onCancel }: { row: StockRow | null; mode: Mode; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [qty, setQty] = useState(mode === 'count' && row ? String(Math.max(0, row.level)) : '')
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  if (row === null) return null
  const n = Number(qty)
  const valid = qty.trim() !== '' && Number.isInteger(n) && (mode === 'count' ? n >= 0 : n !== 0)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!valid) return
    setBusy(true)
    setError(null)
    try {
      if (mode === 'adjust') await api.post('/stock/adjustments', { productId: row.productId, delta: n, note })
      else await api.post('/stock/counts', { productId: row.productId, counted: n, note })
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit} data-testid="stock-form" data-mode={mode}>
      <h2>
        {t(mode === 'adjust' ? 'stock.adjustTitle' : 'stock.countTitle', { name: row.name })} <span className="hint">({t('stock.current', { level: row.level })})</span>
      </h2>
      <div className="adm-form-row">
        <label className="adm-field">
          <span>{mode === 'adjust' ? t('stock.delta') : t('stock.counted')}</span>
          <input className="input" type="number" step={1} min={mode === 'count' ? 0 : undefined} value={qty} onChange={(e) => setQty(e.target.value)} required autoFocus data-testid="stock-qty" />
          <small className="hint">{mode === 'adjust' ? t('stock.deltaHelp') : t('stock.countHelp', { delta: valid ? n - row.level : '…' })}</small>
        </label>
        <label className="adm-field adm-grow">
          <span>{t('common.note')}</span>
          <input className="input" value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} data-testid="stock-note" />
        </label>
      </div>
      <ErrorBanner error={error} />
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !valid} data-testid="stock-submit">
          {busy ? t('common.working') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
