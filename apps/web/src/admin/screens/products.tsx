/**
 * Products: create, edit price/name/category/tax, activate or deactivate. Each change is
 * published by the server into the store's catalog document, so connected terminals show
 * it at once and keep it offline.
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { centsToCsv } from '../csv.ts'
import { centsToInput, formatRate, parseMoney } from '../format.ts'
import { listOf, type Product } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { Money } from '../ui/money.tsx'
import { useLoad } from '../ui/use-load.ts'

export function ProductsScreen() {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const products = useLoad(() => api.get<unknown>('/products').then((v) => listOf<Product>(v, 'products')), [])
  const [editing, setEditing] = useState<Product | 'new' | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const rows = [...(products.data ?? [])].sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name))
  const columns: Column<Product>[] = [
    { key: 'name', header: t('products.name'), cell: (r) => r.name, csv: (r) => r.name },
    { key: 'category', header: t('products.category'), cell: (r) => r.category, csv: (r) => r.category },
    { key: 'price', header: t('products.price'), numeric: true, cell: (r) => <Money cents={r.price} testId="product-price" />, csv: (r) => centsToCsv(r.price) },
    { key: 'taxRate', header: t('products.tax'), numeric: true, cell: (r) => formatRate(r.taxRate, i18n.language), csv: (r) => r.taxRate },
    { key: 'active', header: t('products.active'), cell: (r) => <span className={r.active ? 'adm-pill ok' : 'adm-pill off'}>{r.active ? t('common.yes') : t('common.no')}</span>, csv: (r) => r.active },
    { key: 'trackStock', header: t('products.trackStock'), cell: (r) => (r.trackStock ? t('common.yes') : t('common.no')), csv: (r) => r.trackStock },
    {
      key: 'edit',
      header: '',
      cell: (r) => (
        <button type="button" className="btn btn-small" onClick={() => setEditing(r)} data-testid="product-edit">
          {t('common.edit')}
        </button>
      ),
    },
    { key: 'id', header: 'ID', cell: (r) => <code className="adm-id">{r.id.length > 20 ? `…${r.id.slice(-8)}` : r.id}</code>, csv: (r) => r.id },
  ]
  return (
    <section data-testid="products">
      <div className="adm-title-row">
        <h1>{t('nav.products')}</h1>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="product-new">
          + {t('products.new')}
        </button>
      </div>
      {saved !== null ? (
        <p className="adm-note ok" role="status" data-testid="saved">
          {t('products.saved', { name: saved })}
        </p>
      ) : null}
      {editing !== null ? (
        <ProductForm
          key={editing === 'new' ? 'new' : editing.id}
          product={editing === 'new' ? null : editing}
          onDone={(name) => {
            setEditing(null)
            setSaved(name)
            products.reload()
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ErrorBanner error={products.error} />
      <DataTable
        rows={rows}
        columns={columns}
        rowKey={(r) => r.id}
        csvName="products"
        testId="products-table"
        rowClass={(r) => (r.active ? '' : 'adm-row-muted')}
        rowProps={(r) => ({ 'data-product-id': r.id, 'data-name': r.name, 'data-price': String(r.price) })}
        empty={products.loading ? t('common.loading') : t('products.none')}
      />
    </section>
  )
}

function ProductForm({ product, onDone, onCancel }: { product: Product | null; onDone: (name: string) => void; onCancel: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [name, setName] = useState(product?.name ?? '')
  const [category, setCategory] = useState(product?.category ?? '')
  const [price, setPrice] = useState(product ? centsToInput(product.price) : '')
  const [tax, setTax] = useState(product ? String(product.taxRate / 100) : '10')
  const [active, setActive] = useState(product?.active ?? true)
  const [trackStock, setTrackStock] = useState(product?.trackStock ?? true)
  const [opening, setOpening] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const cents = parseMoney(price)
  const taxBp = Math.round(Number(tax.replace(',', '.')) * 100)
  const priceOk = cents !== null && cents >= 0
  const taxOk = tax.trim() !== '' && Number.isFinite(taxBp) && taxBp >= 0 && taxBp <= 10_000
  const openingOk = opening.trim() === '' || (Number.isInteger(Number(opening)) && Number(opening) >= 0)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!priceOk || !taxOk || !openingOk) return
    setBusy(true)
    setError(null)
    try {
      const body = { name: name.trim(), category: category.trim(), price: cents, taxRate: taxBp, active, trackStock }
      if (product === null) {
        await api.post('/products', { ...body, ...(trackStock && opening.trim() !== '' ? { openingStock: Number(opening) } : {}) })
      } else {
        // Send only what changed: a concurrent edit of another field is not overwritten.
        const changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => product[k as keyof Product] !== v))
        if (Object.keys(changed).length > 0) await api.patch(`/products/${encodeURIComponent(product.id)}`, changed)
      }
      onDone(body.name)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit} data-testid="product-form">
      <h2>{product === null ? t('products.new') : t('products.editTitle', { name: product.name })}</h2>
      <div className="adm-form-row">
        <label className="adm-field adm-grow">
          <span>{t('products.name')}</span>
          <input className="input" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} data-testid="product-name" autoFocus />
        </label>
        <label className="adm-field">
          <span>{t('products.category')}</span>
          <input className="input" maxLength={60} value={category} onChange={(e) => setCategory(e.target.value)} data-testid="product-category" />
        </label>
        <label className="adm-field">
          <span>{t('products.priceEur')}</span>
          <input className="input" inputMode="decimal" required value={price} onChange={(e) => setPrice(e.target.value)} aria-invalid={!priceOk && price !== ''} data-testid="product-price-input" />
          {!priceOk && price !== '' ? <small className="adm-danger-text">{t('products.badPrice')}</small> : null}
        </label>
        <label className="adm-field">
          <span>{t('products.taxPct')}</span>
          <input className="input" inputMode="decimal" required value={tax} onChange={(e) => setTax(e.target.value)} aria-invalid={!taxOk} data-testid="product-tax" />
        </label>
      </div>
      <div className="adm-form-row">
        <label className="adm-check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} data-testid="product-active" /> {t('products.active')}
        </label>
        <label className="adm-check">
          <input type="checkbox" checked={trackStock} onChange={(e) => setTrackStock(e.target.checked)} data-testid="product-track" /> {t('products.trackStock')}
        </label>
        {product === null && trackStock ? (
          <label className="adm-field">
            <span>{t('products.opening')}</span>
            <input className="input" type="number" min={0} step={1} value={opening} onChange={(e) => setOpening(e.target.value)} data-testid="product-opening" />
          </label>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !priceOk || !taxOk || !openingOk} data-testid="product-save">
          {busy ? t('common.working') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
