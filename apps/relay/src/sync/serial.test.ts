import { describe, expect, it } from 'vitest'
import { serial } from './session.ts'

/** Every promise already settled has run its callbacks once a macrotask has passed. */
const settled = () => new Promise<void>((r) => setImmediate(r))

describe('a connection runs its handlers in order', () => {
  it('a handler that does not wait runs at once; one that waits holds back the ones after it, errors included', async () => {
    const order: string[] = []
    const run = serial((err) => order.push(`error:${(err as Error).message}`))
    run(() => void order.push('a'))
    expect(order).toEqual(['a'])

    let release: () => void = () => {}
    run(
      () =>
        new Promise<void>((resolve) => {
          order.push('b-start')
          release = () => {
            order.push('b-end')
            resolve()
          }
        }),
    )
    run(() => void order.push('c'))
    run(() => {
      throw new Error('d')
    })
    run(() => void order.push('e'))
    expect(order).toEqual(['a', 'b-start'])

    release()
    await settled()
    expect(order).toEqual(['a', 'b-start', 'b-end', 'c', 'error:d', 'e'])
    // Nothing waiting any more: the next handler runs at once again.
    run(() => void order.push('f'))
    expect(order.at(-1)).toBe('f')
  })

  it('a handler that throws at once is reported and the next one still runs', () => {
    const order: string[] = []
    const run = serial((err) => order.push(`error:${(err as Error).message}`))
    run(() => {
      throw new Error('x')
    })
    run(() => void order.push('y'))
    expect(order).toEqual(['error:x', 'y'])
  })
})
