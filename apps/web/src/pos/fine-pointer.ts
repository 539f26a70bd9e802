import { useEffect, useState } from 'react'

/**
 * A device with a mouse or trackpad (and so, most likely, a keyboard): only there are
 * the F2/F3/F9 hints shown (POS12). The shortcuts themselves work everywhere.
 */
const QUERY = '(hover: hover) and (pointer: fine)'

export function useFinePointer(): boolean {
  const [fine, setFine] = useState(() => typeof matchMedia === 'function' && matchMedia(QUERY).matches)
  useEffect(() => {
    if (typeof matchMedia !== 'function') return
    const mq = matchMedia(QUERY)
    const on = (): void => setFine(mq.matches)
    mq.addEventListener('change', on)
    return () => mq.removeEventListener('change', on)
  }, [])
  return fine
}
