// Form controls wired to their Field: label, hint and error reach the control (id,
// aria-describedby, aria-invalid) without every form repeating the wiring.
import { useState } from 'react';
import type { InputHTMLAttributes, ReactNode, Ref, TextareaHTMLAttributes } from 'react';
import { Field } from './kit';

interface Frame {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** A key, id, URL or other code: monospace, never autocompleted or spellchecked. */
  code?: boolean;
}

type Wired = 'id' | 'aria-describedby' | 'aria-invalid';
export type InputFieldProps = Frame & Omit<InputHTMLAttributes<HTMLInputElement>, Wired> & { ref?: Ref<HTMLInputElement> };
export type TextAreaFieldProps = Frame & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, Wired> & { ref?: Ref<HTMLTextAreaElement> };

const CODE = { className: 'mono', autoComplete: 'off', spellCheck: false } as const;
const codeProps = (code: boolean | undefined) => (code ? CODE : {});

/** A labelled <input>; the other props (react-hook-form's register included) go to the input. */
export function InputField({ label, error, hint, code, ...input }: InputFieldProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => <input id={id} {...codeProps(code)} aria-describedby={describedBy} aria-invalid={invalid} {...input} />}
    </Field>
  );
}

/** A labelled <textarea>; the other props go to the textarea. */
export function TextAreaField({ label, error, hint, code, ...textarea }: TextAreaFieldProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => <textarea id={id} {...codeProps(code)} aria-describedby={describedBy} aria-invalid={invalid} {...textarea} />}
    </Field>
  );
}

/**
 * A labelled password-style input with a Show/Hide button beside it. It keeps its own shown
 * state unless `shown` and `onToggleShown` are given (to show two fields together).
 */
export function SecretField({
  shown: shownProp,
  onToggleShown,
  label,
  error,
  hint,
  code,
  ...input
}: Omit<InputFieldProps, 'type'> & { shown?: boolean; onToggleShown?: () => void }) {
  const [own, setOwn] = useState(false);
  const shown = shownProp ?? own;
  const toggle = onToggleShown ?? (() => setOwn((s) => !s));
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <div className="input-with-action">
          <input id={id} {...codeProps(code)} type={shown ? 'text' : 'password'} aria-describedby={describedBy} aria-invalid={invalid} {...input} />
          <button type="button" className="ghost" aria-pressed={shown} onClick={toggle}>
            {shown ? 'Hide' : 'Show'}
          </button>
        </div>
      )}
    </Field>
  );
}

/**
 * The buttons that end a form or a step in a dialog: Cancel, any `children`, then the primary
 * button, which submits its form unless `onSubmit` is given (then it is a plain button). With no
 * `submit` text there is no primary button yet.
 */
export function SubmitActions({
  onCancel,
  submit,
  busy,
  busyLabel,
  onSubmit,
  disabled = false,
  cancel = 'Cancel',
  children,
}: {
  onCancel: () => void;
  submit: string | undefined;
  busy: boolean;
  /** What the primary button says while `busy`; it keeps `submit` when absent. */
  busyLabel?: string;
  onSubmit?: () => void;
  /** Not ready to submit (it is also disabled while `busy`). */
  disabled?: boolean;
  cancel?: string;
  children?: ReactNode;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" className="ghost" onClick={onCancel}>
        {cancel}
      </button>
      {children}
      {submit ? (
        <button type={onSubmit ? 'button' : 'submit'} className="primary" onClick={onSubmit} disabled={busy || disabled}>
          {busy && busyLabel ? busyLabel : submit}
        </button>
      ) : null}
    </div>
  );
}

/** A checkbox and its words in one label, so a click on the words ticks it. */
export function Toggle({ children, ...input }: Omit<InputHTMLAttributes<HTMLInputElement>, 'type'> & { ref?: Ref<HTMLInputElement>; children: ReactNode }) {
  return (
    <label className="toggle">
      <input type="checkbox" {...input} />
      <span>{children}</span>
    </label>
  );
}
