/**
 * A value that follows its source at most once per `ms`. Screens refetch when the live
 * feed shows a new projection checkpoint; on a busy night that moves several times a
 * second, and refetching each time would run into the API's per-token rate limit.
 */
import { useEffect, useRef, useState } from 'react'

export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value)
  const last = useRef(0)
  useEffect(() => {
    if (Object.is(value, shown)) return
    const wait = Math.max(0, last.current + ms - Date.now())
    const id = setTimeout(() => {
      last.current = Date.now()
      setShown(value)
    }, wait)
    return () => clearTimeout(id)
  }, [value, shown, ms])
  return shown
}
