/** A small LRU map: Map keeps insertion order, so re-inserting on access moves to the end. */
export class Lru<K, V> {
  readonly #max: number
  readonly #map = new Map<K, V>()
  constructor(max: number) {
    this.#max = Math.max(1, max)
  }
  get size(): number {
    return this.#map.size
  }
  get(key: K): V | undefined {
    const v = this.#map.get(key)
    if (v !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, v)
    }
    return v
  }
  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done) break
      this.#map.delete(oldest.value)
    }
  }
  delete(key: K): void {
    this.#map.delete(key)
  }
  clear(): void {
    this.#map.clear()
  }
}
