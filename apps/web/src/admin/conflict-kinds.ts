/**
 * Conflict kinds as the back office explains them. Each kind names the family of effects
 * its resolutions have (what happens to stock and to the takings), and the sentences live
 * per family in i18n `effects.{family}.{strategy}`. Adding a kind is one entry here (plus
 * its name and explanation in `conflicts.kind` / `conflicts.explain`, which fall back to
 * the kind's own words when missing); a kind not listed still gets the generic sentences.
 */
import type { T } from './labels.ts'

export const EFFECT_FAMILIES = ['stock', 'price', 'sale', 'duplicate', 'generic'] as const
export type EffectFamily = (typeof EFFECT_FAMILIES)[number]

export const CONFLICT_KINDS: Readonly<Record<string, { effects: EffectFamily }>> = {
  oversold: { effects: 'stock' },
  price_changed: { effects: 'price' },
  visit_closed: { effects: 'sale' },
  unknown_product: { effects: 'sale' },
  inactive_product: { effects: 'sale' },
  totals_mismatch: { effects: 'sale' },
  duplicate: { effects: 'duplicate' },
  double_checkout: { effects: 'duplicate' },
  unprojectable: { effects: 'generic' },
}

export function effectFamily(kind: string): EffectFamily {
  return CONFLICT_KINDS[kind]?.effects ?? 'generic'
}

/** "Sale on a closed visit"; an unknown kind reads as its words ("double checkout"). */
export function kindName(kind: string, t: T): string {
  return t(`conflicts.kind.${kind}`, { defaultValue: kind.replace(/_/g, ' ') })
}

export function kindExplain(kind: string, t: T): string {
  return t(`conflicts.explain.${kind}`, { defaultValue: '' })
}

/** What choosing `strategy` does to stock and money for this kind; `count`: an oversold deficit. */
export function strategyEffect(kind: string, strategy: string, t: T, count = 0): { title: string; effect: string } {
  const family = effectFamily(kind)
  return {
    title: t(`effects.${family}.${strategy}.title`, { count, defaultValue: t(`strategy.${strategy}`, { defaultValue: strategy }) }),
    effect: t(`effects.${family}.${strategy}.effect`, { count, defaultValue: t(`effects.generic.${strategy}.effect`, { count, defaultValue: '' }) }),
  }
}

/** Conflict statuses a screen can meet (`review`: waits for a person, nothing applied yet). */
export function statusName(status: string, t: T): string {
  return t(`conflicts.status.${status}`, { defaultValue: status })
}
