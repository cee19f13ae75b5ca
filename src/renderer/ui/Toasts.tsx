import { useEffect, useRef } from 'react';
import { useAppState } from '../state';

/**
 * The one place messages appear. It sits below any open dialog rather than over it: its height is
 * published as --toasts-space, which the dialog backdrop leaves free (a CSSOM custom property,
 * not an inline style, so the page's CSP holds). Repeats are merged with a count; errors stay
 * until dismissed.
 */
export function Toasts() {
  const { toasts, dismiss } = useAppState();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const root = document.documentElement;
    const publish = () => {
      const h = el.getBoundingClientRect().height;
      root.style.setProperty('--toasts-space', h > 0 ? `${Math.ceil(h) + 48}px` : '0px');
    };
    const ro = new ResizeObserver(publish);
    ro.observe(el);
    publish();
    return () => {
      ro.disconnect();
      root.style.removeProperty('--toasts-space');
    };
  }, []);
  return (
    <div ref={ref} className="toasts" role="region" aria-label="Notifications" aria-live="polite" aria-relevant="additions text">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>
          <span>
            {t.text}
            {t.count > 1 ? <span className="toast-count"> (×{t.count})</span> : null}
          </span>
          <button type="button" className="icon" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
