/**
 * Small JSON records in localStorage (tabs, receipts, last sync time), namespaced by
 * store and terminal so a device re-paired to another terminal does not mix them.
 * A corrupt entry reads as the fallback rather than breaking the terminal.
 */
export interface LocalStore {
  get<T>(key: string, fallback: T): T
  set(key: string, value: unknown): void
}

export function createLocalStore(prefix: string, storage: Storage = localStorage): LocalStore {
  return {
    get<T>(key: string, fallback: T): T {
      const raw = storage.getItem(`${prefix}.${key}`)
      if (raw === null) return fallback
      try {
        return JSON.parse(raw) as T
      } catch {
        return fallback
      }
    },
    set(key: string, value: unknown): void {
      storage.setItem(`${prefix}.${key}`, JSON.stringify(value))
    },
  }
}
