import { useMutation } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';

export const REVEAL_SECONDS = 10;

export interface Reveal {
  /** The revealed secret, or null while masked. */
  value: string | null;
  /** Asks main for the secret (an audited call) and shows it for REVEAL_SECONDS. */
  reveal: () => void;
  revealing: boolean;
  /** Why the last reveal failed (main's limit on reveals, a locked vault…); never the value. */
  error: Error | null;
  hide: () => void;
}

/**
 * Reveals one secret and forgets it again: after REVEAL_SECONDS, on Hide, and when the component
 * goes (another section or profile, and the lock, which replaces the whole window). The value lives
 * in this hook's state and nowhere else in the page: the mutation hands it over and resolves to
 * nothing, so react-query's cache never holds it, and gcTime 0 drops the mutation itself as soon
 * as nothing watches it.
 */
export function useReveal(fetch: () => Promise<string>): Reveal {
  const [value, setValue] = useState<string | null>(null);
  // A reveal still on its way when the person hides or leaves must not show up afterwards.
  const generation = useRef(0);
  const mutation = useMutation({
    mutationFn: async (): Promise<void> => {
      const asked = generation.current;
      const secret = await fetch();
      if (asked === generation.current) setValue(secret);
    },
    gcTime: 0,
  });
  const { mutate, reset } = mutation;
  const hide = useCallback(() => {
    generation.current += 1;
    setValue(null);
    reset();
  }, [reset]);
  useEffect(() => {
    if (value === null) return;
    const timer = setTimeout(hide, REVEAL_SECONDS * 1000);
    return () => clearTimeout(timer);
  }, [value, hide]);
  useEffect(
    () => () => {
      generation.current += 1;
    },
    [],
  );
  const reveal = useCallback(() => mutate(), [mutate]);
  return { value, reveal, revealing: mutation.isPending, error: mutation.error, hide };
}
