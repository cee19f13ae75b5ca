import { useEffect, useId, useRef, type ReactNode, type Ref } from 'react';
import type { WrapLeftCredential } from '../../shared/contract';
import { count } from '../ui/kit';

/*
 * What a wrap of an MCP config cannot move: a credential among a command's arguments (a URL with a
 * password), in a remote server's headers, in a comment. The window names each as `keyhold mcp wrap`
 * does (its kind, line and place, never the value), before the wrap and after it, so no one leaves
 * believing every secret moved.
 */

/** What describes the Wrap… button: the title and the list of the LeftAfterWrap with this `id`. */
export const describedByLeft = (id: string): string => `${id}-title ${id}-list`;

/** Says it and lists them; `id` names its parts for describedByLeft, `Heading` fits where it is shown. */
function LeftList({
  title,
  lead,
  left,
  id,
  Heading = 'h3',
  headingRef,
  children,
}: {
  title: string;
  lead: string;
  left: readonly WrapLeftCredential[];
  id?: string;
  Heading?: 'h2' | 'h3';
  headingRef?: Ref<HTMLHeadingElement>;
  /** Its actions. */
  children?: ReactNode;
}) {
  const ownId = useId();
  const headingId = `${id ?? ownId}-title`;
  return (
    <section className="callout callout-warning" aria-labelledby={headingId}>
      <Heading id={headingId} ref={headingRef} tabIndex={headingRef ? -1 : undefined}>
        {title}
      </Heading>
      <p className="small">{lead}</p>
      <ul className="small" id={`${id ?? ownId}-list`}>
        {left.map((l, i) => (
          <li key={`${i}-${l.line}`}>
            {l.label}: line {l.line}, {l.where ? <span className="mono">{l.where}</span> : 'in a comment or other text'}
          </li>
        ))}
      </ul>
      {children ? <div className="row-actions">{children}</div> : null}
    </section>
  );
}

const ELSEWHERE =
  "A wrap moves only what a server gets in its environment. These are elsewhere in the file (a command's arguments, a remote server's headers, a comment)";

/** In the preview: what will still be in the file once it is wrapped (lines are those of the wrapped file). */
export function LeftAfterWrap({ left, id }: { left: readonly WrapLeftCredential[]; id: string }) {
  return (
    <LeftList
      id={id}
      title={`${count(left.length, 'credential')} will stay in the file`}
      lead={`${ELSEWHERE}, so they stay where they are: move them by hand. Lines are those of the file once wrapped.`}
      left={left}
    />
  );
}

/** The preview of a config whose servers hold no env value to move: only what is in it to move by hand. */
export function NothingToWrap({ left, onClose }: { left: readonly WrapLeftCredential[]; onClose: () => void }) {
  return (
    <div className="wrap-preview">
      <p className="small">No server in this file has secret env values to move.</p>
      {left.length > 0 ? (
        <LeftList title={`${count(left.length, 'credential')} a wrap cannot move`} lead={`${ELSEWHERE}: move them by hand.`} left={left} />
      ) : null}
      <button type="button" className="secondary" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

/** After a wrap: what is still in the file, until the person is done with it. It takes focus, so a keyboard or screen reader lands on it. */
export function LeftInWrapped({ file, left, onClose }: { file: string; left: readonly WrapLeftCredential[]; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Each wrap's list anew (a second file's replaces the first).
  useEffect(() => heading.current?.focus(), [left]);
  return (
    <LeftList
      Heading="h2"
      headingRef={heading}
      title={`${count(left.length, 'credential')} still in ${file}`}
      lead={`${ELSEWHERE}, so the wrap left them: move them out of the file by hand.`}
      left={left}
    >
      <button type="button" className="secondary" onClick={onClose}>
        Done
      </button>
    </LeftList>
  );
}

/** The sentence the wrap's message ends with when something stayed in the file. */
export const leftSentence = (left: readonly WrapLeftCredential[]): string =>
  left.length === 0 ? '' : ` ${count(left.length, 'credential is', 'credentials are')} still in the file: move ${left.length === 1 ? 'it' : 'them'} by hand.`;
