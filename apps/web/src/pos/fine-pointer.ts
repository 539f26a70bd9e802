import { useEffect, useState } from 'react'

/**
 * A device with a mouse or trackpad (and so, most likely, a keyboard): only there are
 * the F2/F3/F9 hints shown (POS12). The shortcuts themselves work everywhere.
 */
const QUERY = '(hover: hover) and (pointer: fine)'

// A touch screen is a touch screen even when it also reports a fine pointer.
const fineNow = (): boolean => typeof matchMedia === 'function' && matchMedia(QUERY).matches && (navigator.maxTouchPoints ?? 0) === 0

export function useFinePointer(): boolean {
  const [fine, setFine] = useState(fineNow)
  useEffect(() => {
    if (typeof matchMedia !== 'function') return
    const mq = matchMedia(QUERY)
    const on = (): void => setFine(fineNow())
    mq.addEventListener('change', on)
    return () => mq.removeEventListener('change', on)
  }, [])
  return fine
}
