// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputField, SecretField, SubmitActions, TextAreaField, Toggle } from '../../src/renderer/ui/fields';
import { CloseActions, PageHeader } from '../../src/renderer/ui/kit';
import { SecretLine } from '../../src/renderer/ui/SecretLine';

afterEach(cleanup);

describe('shared form fields', () => {
  it('wire the label, hint and error to the control, and pass every other prop through', () => {
    render(
      <>
        <InputField label="Agent id" hint="For example crm-bot." error="Not valid." code readOnly defaultValue="crm" />
        <TextAreaField label="Arguments" rows={3} defaultValue="A" />
      </>,
    );
    const input = screen.getByLabelText('Agent id');
    expect(input.tagName).toBe('INPUT');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.className).toBe('mono');
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(input.getAttribute('spellcheck')).toBe('false');
    expect(input.hasAttribute('readonly')).toBe(true);
    const described = (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described).toEqual(['Not valid.', 'For example crm-bot.']);
    const area = screen.getByLabelText('Arguments');
    expect(area.tagName).toBe('TEXTAREA');
    expect(area.getAttribute('aria-invalid')).toBe('false');
    expect(area.hasAttribute('aria-describedby')).toBe(false);
    expect(area.className).toBe('');
  });

  it('SecretField shows and hides its value, on its own or together with another field', () => {
    const toggle = vi.fn();
    render(
      <>
        <SecretField label="API key" />
        <SecretField label="Password" shown onToggleShown={toggle} />
      </>,
    );
    const key = screen.getByLabelText('API key');
    const [own, shared] = screen.getAllByRole('button');
    expect(key.getAttribute('type')).toBe('password');
    fireEvent.click(own!);
    expect(key.getAttribute('type')).toBe('text');
    expect(own!.getAttribute('aria-pressed')).toBe('true');
    expect(own!.textContent).toBe('Hide');
    expect(screen.getByLabelText('Password').getAttribute('type')).toBe('text');
    fireEvent.click(shared!);
    expect(toggle).toHaveBeenCalledTimes(1);
  });

  it('SubmitActions submits its form, or calls onSubmit, and waits while busy', () => {
    const cancel = vi.fn();
    const submit = vi.fn();
    const { rerender } = render(<SubmitActions onCancel={cancel} submit="Save" busyLabel="Saving…" busy={false} />);
    expect(screen.getByRole('button', { name: 'Save' }).getAttribute('type')).toBe('submit');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(cancel).toHaveBeenCalledTimes(1);
    rerender(<SubmitActions onCancel={cancel} submit="Save" busyLabel="Saving…" busy />);
    expect((screen.getByRole('button', { name: 'Saving…' }) as HTMLButtonElement).disabled).toBe(true);
    rerender(<SubmitActions onCancel={cancel} submit="Import" busy={false} onSubmit={submit} disabled />);
    const primary = screen.getByRole('button', { name: 'Import' }) as HTMLButtonElement;
    expect(primary.getAttribute('type')).toBe('button');
    expect(primary.disabled).toBe(true);
    rerender(<SubmitActions onCancel={cancel} submit="Import" busy={false} onSubmit={submit} />);
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect(submit).toHaveBeenCalledTimes(1);
    rerender(<SubmitActions onCancel={cancel} submit={undefined} busy={false} />);
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Cancel']);
  });

  it('Toggle is a checkbox named by its words', () => {
    const change = vi.fn();
    render(<Toggle onChange={change}>Include Kura auth tokens</Toggle>);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Include Kura auth tokens' }));
    expect(change).toHaveBeenCalledTimes(1);
  });
});

describe('shared page and dialog pieces', () => {
  it('PageHeader titles the page, says what it is for and holds its action', () => {
    render(
      <PageHeader title="Trash" focusHome action={<button type="button">Empty trash</button>}>
        Deleted items stay here.
      </PageHeader>,
    );
    const h1 = screen.getByRole('heading', { level: 1, name: 'Trash' });
    expect(h1.getAttribute('tabindex')).toBe('-1');
    expect(h1.hasAttribute('data-focus-home')).toBe(true);
    expect(screen.getByText('Deleted items stay here.').className).toBe('muted');
    expect(screen.getByRole('button', { name: 'Empty trash' })).toBeTruthy();
  });

  it('CloseActions is one button: ghost Close, or a primary Done', () => {
    const close = vi.fn();
    const { rerender } = render(<CloseActions onClose={close} />);
    expect(screen.getByRole('button', { name: 'Close' }).className).toBe('ghost');
    rerender(<CloseActions onClose={close} label="Done" primary />);
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(close).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'Done' }).className).toBe('primary');
  });

  it('SecretLine masks the value until revealed and names its buttons after what they act on', () => {
    const calls = { onReveal: vi.fn(), onHide: vi.fn(), onCopy: vi.fn() };
    const props = { name: 'Token', valueLabel: 'Kura token', what: 'the Kura token of crm/prod', revealing: false, copying: false, error: null, ...calls };
    const { rerender } = render(
      <ul>
        <SecretLine {...props} value={null} valueTestId="token-value" />
      </ul>,
    );
    expect(screen.getByTestId('token-value').getAttribute('aria-label')).toBe('Kura token hidden');
    expect(screen.getByTestId('token-value').textContent).not.toContain('s3cret');
    fireEvent.click(screen.getByRole('button', { name: 'Reveal the Kura token of crm/prod' }));
    fireEvent.click(screen.getByRole('button', { name: 'Copy the Kura token of crm/prod' }));
    expect(calls.onReveal).toHaveBeenCalledTimes(1);
    expect(calls.onCopy).toHaveBeenCalledTimes(1);
    rerender(
      <ul>
        <SecretLine {...props} value="s3cret" valueTestId="token-value" error={new Error('Locked')} />
      </ul>,
    );
    expect(screen.getByTestId('token-value').textContent).toBe('s3cret');
    expect(screen.getByTestId('token-value').getAttribute('aria-label')).toBe('Kura token');
    fireEvent.click(screen.getByRole('button', { name: 'Hide the Kura token of crm/prod' }));
    expect(calls.onHide).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('alert').closest('.secret-error')).not.toBeNull();
  });
});
