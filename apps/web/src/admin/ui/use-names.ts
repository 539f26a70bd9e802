/** Product and member names by id, so screens say "Vermut" and "Marta Ibáñez", not UUIDs. */
import { useAdmin } from '../admin-context.ts'
import type { Names } from '../labels.ts'
import { listOf, type Partner, type Product } from '../types.ts'
import { useLoad } from './use-load.ts'

export function useNames(): Names {
  const { api } = useAdmin()
  const products = useLoad(() => api.get<unknown>('/products').then((v) => new Map(listOf<Product>(v, 'products').map((p) => [p.id, p.name]))), [])
  const partners = useLoad(() => api.get<unknown>('/partners').then((v) => new Map(listOf<Partner>(v, 'partners').map((p) => [p.id, p.name]))), [])
  return { products: products.data ?? new Map(), partners: partners.data ?? new Map() }
}
