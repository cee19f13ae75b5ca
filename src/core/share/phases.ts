/** Called once per step with its wall time, so benchmarks (and a verbose UI) can see where time goes. */
export type PhaseTimer = (phase: string, ms: number) => void;

export function timed<T>(onPhase: PhaseTimer | undefined, phase: string, fn: () => T): T {
  const start = performance.now();
  const value = fn();
  onPhase?.(phase, performance.now() - start);
  return value;
}

export async function timedAsync<T>(onPhase: PhaseTimer | undefined, phase: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await fn();
  onPhase?.(phase, performance.now() - start);
  return value;
}
