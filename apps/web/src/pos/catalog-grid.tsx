import { useState, type KeyboardEvent, type RefObject } from 'react'
import { useTranslation } from 'react-i18next'
import { readProducts, type Product } from '@tally/schema'
import { useFinePointer } from './fine-pointer.ts'
import { formatMoney } from './money.ts'
import { shownStock, unconfirmedSold } from './stock-view.ts'
import { useTerminal } from './use-terminal.ts'

/** Accent- and case-insensitive, so "cana" finds "Caña". */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

export function CatalogGrid({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const fine = useFinePointer()
  const [query, setQuery] = useState('')
  const [category, setCategory] = useState<string | null>(null)
  // The level shown counts this terminal's sales the server has not judged yet (POS15).
  const sold = unconfirmedSold(term.tickets.receipts)
  const products = term.catalog === null ? [] : readProducts(term.catalog).filter((p) => p.active).map((p) => ({ ...p, stock: shownStock(p, sold) }))
  const categories = [...new Set(products.map((p) => p.category || t('catalog.other')))].sort((a, b) => a.localeCompare(b))
  const q = fold(query.trim())
  const shown = products
    .filter((p) => (q === '' ? category === null || (p.category || t('catalog.other')) === category : fold(p.name).includes(q)))
    .sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name))

  const onKey = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter' && shown[0] !== undefined) {
      e.preventDefault()
      term.addProduct(shown[0])
      setQuery('')
    } else if (e.key === 'Escape') setQuery('')
  }

  return (
    <section className="catalog" aria-label={t('catalog.title')}>
      <div className="catalog-bar">
        <input
          ref={searchRef}
          className="input search"
          type="search"
          data-testid="search"
          placeholder={t(fine ? 'catalog.searchKeys' : 'catalog.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onKey}
          aria-keyshortcuts="F2"
        />
      </div>
      <nav className="categories" aria-label={t('catalog.categories')}>
        <button type="button" className={`chip ${category === null ? 'active' : ''}`} onClick={() => setCategory(null)}>
          {t('catalog.all')}
        </button>
        {categories.map((c) => (
          <button type="button" key={c} className={`chip ${category === c ? 'active' : ''}`} onClick={() => setCategory(c)}>
            {c}
          </button>
        ))}
      </nav>
      {products.length === 0 ? (
        <p className="empty" data-testid="catalog-empty">
          {t('catalog.empty')}
        </p>
      ) : shown.length === 0 ? (
        <p className="empty" data-testid="no-matches">
          {t('catalog.noMatches', { query: query.trim() })}
        </p>
      ) : (
        <div className="grid" data-testid="catalog">
          {shown.map((p) => (
            <ProductButton key={p.id} p={p} locale={i18n.language} onAdd={() => term.addProduct(p)} allowance={term.allowances.left(p.id)?.remaining ?? null} />
          ))}
        </div>
      )}
    </section>
  )
}

function ProductButton({ p, locale, onAdd, allowance = null }: { p: Product; locale: string; onAdd: () => void; allowance?: number | null }) {
  const { t } = useTranslation()
  const stockClass = p.stock === null ? '' : p.stock <= 0 ? 'out' : p.stock <= 5 ? 'low' : ''
  return (
    <button type="button" className={`product ${stockClass}`} data-testid="product" data-product-id={p.id} data-name={p.name} onClick={onAdd}>
      <span className="product-name">{p.name}</span>
      <span className="product-price">{formatMoney(p.price, locale)}</span>
      {p.stock !== null && (
        <span className="product-stock" data-testid="stock" data-stock={p.stock}>
          {p.stock <= 0 ? t('catalog.soldOut') : t('catalog.stock', { count: p.stock })}
        </span>
      )}
      {allowance !== null && (
        // A scarce product: what this terminal may still sell of it (its allowance), offline too.
        <span className={`product-allowance ${allowance <= 0 ? 'out' : ''}`} data-testid="allowance" data-allowance={allowance}>
          {t('catalog.allowance', { count: allowance })}
        </span>
      )}
    </button>
  )
}
