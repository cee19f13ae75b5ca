import { useCallback, useEffect, useRef, useState } from 'react';

export const REVEAL_SECONDS = 10;

/** Holds a revealed secret for REVEAL_SECONDS, then forgets it. */
export function useReveal(): { value: string | null; show: (v: string) => void; hide: () => void } {
  const [value, setValue] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const hide = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    setValue(null);
  }, []);
  const show = useCallback((v: string) => {
    if (timer.current) clearTimeout(timer.current);
    setValue(v);
    timer.current = setTimeout(() => setValue(null), REVEAL_SECONDS * 1000);
  }, []);
  useEffect(() => hide, [hide]);
  return { value, show, hide };
}
