import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { contract } from '../../shared/contract';
import type { VaultStatus } from '../../shared/contract';
import { useApi } from '../api';
import { qk } from '../queries';
import type { LockReason } from '../state';
import { InputField, SecretField } from '../ui/fields';
import { ErrorNote, Field, StrengthHint, useStrength } from '../ui/kit';

// The create form is the contract's own input plus a confirmation, which reuses the contract's
// plain password schema, so the rules the engine applies are the rules the form shows.
const CreateForm = contract.vaultCreate.input
  .extend({ confirm: contract.vaultUnlock.input.shape.password })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords are not the same.' });

function Brand() {
  return (
    <div className="brand brand-large" aria-hidden="true">
      <span className="brand-mark">K</span>
      <span>Keyhold</span>
    </div>
  );
}

export function CreateVault() {
  const api = useApi();
  const qc = useQueryClient();
  const [show, setShow] = useState(false);
  const form = useForm({
    resolver: zodResolver(CreateForm),
    defaultValues: { password: '', confirm: '', kdf: 'standard' as const },
    mode: 'onTouched',
  });
  const create = useMutation({
    mutationFn: (v: { password: string; kdf: 'standard' | 'strong' }) => api.vaultCreate(v),
    onSuccess: (status) => qc.setQueryData(qk.vaultStatus, status),
  });
  const password = form.watch('password');
  const { errors } = form.formState;
  const strength = useStrength(password);
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [weakRefused, setWeakRefused] = useState(false);
  const weak = strength !== null && !strength.strongEnough;

  return (
    <main className="gate">
      <form
        className="gate-card"
        aria-labelledby="create-title"
        noValidate
        onSubmit={form.handleSubmit(async (v) => {
          // A weak master password is refused unless the person ticks that they accept the risk;
          // the estimate is asked for again here, so a fast Enter cannot outrun it.
          const now = await api.passwordStrength({ password: v.password }).catch(() => null);
          if (now && !now.strongEnough && !acceptWeak) {
            setWeakRefused(true);
            setTimeout(() => document.getElementById('accept-weak')?.focus(), 0);
            return;
          }
          create.mutate({ password: v.password, kdf: v.kdf });
        })}
      >
        <Brand />
        <h1 id="create-title">Create your vault</h1>
        <p className="muted">Your agent profiles and provider keys are encrypted with a master password that only you know.</p>
        <SecretField
          label="Master password"
          error={errors.password?.message}
          hint={
            <StrengthHint
              secret={password}
              label="Password strength"
              fallback="At least 10 characters. A few unrelated words are easy to remember and hard to guess."
            />
          }
          shown={show}
          onToggleShown={() => setShow((s) => !s)}
          autoComplete="new-password"
          autoFocus
          {...form.register('password')}
        />
        <InputField
          label="Repeat the master password"
          error={errors.confirm?.message}
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          {...form.register('confirm')}
        />
        <fieldset className="choice">
          <legend>Key strength</legend>
          <label>
            <input type="radio" value="standard" {...form.register('kdf')} /> Standard <span className="muted">(unlocks in about a second)</span>
          </label>
          <label>
            <input type="radio" value="strong" {...form.register('kdf')} /> Strong <span className="muted">(slower to unlock, harder to attack)</span>
          </label>
        </fieldset>
        {weak || weakRefused ? (
          <div className={`callout ${weakRefused ? 'callout-danger' : 'callout-warning'}`} role={weakRefused ? 'alert' : undefined}>
            <p>
              <strong>This password is {strength ? strength.label.toLowerCase() : 'weak'}.</strong> Anyone who copies the vault file can try guesses offline,
              and common words or patterns fall first.
            </p>
            <label className="inline-check">
              <input
                id="accept-weak"
                type="checkbox"
                checked={acceptWeak}
                onChange={(e) => {
                  setAcceptWeak(e.target.checked);
                  setWeakRefused(false);
                }}
              />
              <span>Use this weak password anyway</span>
            </label>
          </div>
        ) : null}
        <div className="callout callout-warning" role="note">
          <strong>There is no way to recover this password.</strong> If you forget it, nobody — including Keyhold — can open this vault. Write it down somewhere
          safe.
        </div>
        <ErrorNote error={create.error} />
        <button type="submit" className="primary wide" disabled={create.isPending}>
          {create.isPending ? 'Creating vault…' : 'Create vault'}
        </button>
      </form>
    </main>
  );
}

const LOCK_MESSAGE: Record<LockReason, string> = {
  user: 'You locked the vault.',
  idle: 'Locked after a period without activity.',
  suspend: 'Locked because the computer went to sleep.',
  'lock-screen': 'Locked because the screen was locked.',
  'password-changed': 'Locked because the master password was changed in another Keyhold window or command. Unlock with the new one.',
};

export function Unlock({ status, reason }: { status: VaultStatus; reason: LockReason | null }) {
  const api = useApi();
  const qc = useQueryClient();
  const form = useForm({ resolver: zodResolver(contract.vaultUnlock.input), defaultValues: { password: '' } });
  const onUnlocked = (s: VaultStatus) => {
    form.reset();
    qc.setQueryData(qk.vaultStatus, s);
  };
  const unlock = useMutation({
    mutationFn: (password: string) => api.vaultUnlock({ password }),
    onSuccess: onUnlocked,
    onError: () => form.setFocus('password', { shouldSelect: true }),
  });
  const quick = useMutation({ mutationFn: () => api.vaultQuickUnlock(), onSuccess: onUnlocked });
  const wrong = unlock.error && 'code' in unlock.error && unlock.error.code === 'WrongPassword';

  return (
    <main className="gate">
      <form className="gate-card" aria-labelledby="unlock-title" noValidate onSubmit={form.handleSubmit((v) => unlock.mutate(v.password))}>
        <Brand />
        <h1 id="unlock-title">Unlock Keyhold</h1>
        {reason ? <p className="muted">{LOCK_MESSAGE[reason]}</p> : null}
        <Field label="Master password" error={form.formState.errors.password ? 'Enter your master password.' : undefined}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="password"
              autoComplete="current-password"
              autoFocus
              aria-describedby={describedBy}
              aria-invalid={invalid || Boolean(wrong)}
              {...form.register('password')}
            />
          )}
        </Field>
        {wrong ? (
          <p className="error-note" role="alert">
            That is not the master password for this vault. Check Caps Lock and your keyboard layout, then try again.
          </p>
        ) : (
          <ErrorNote error={unlock.error} />
        )}
        <ErrorNote error={quick.error} />
        <button type="submit" className="primary wide" disabled={unlock.isPending}>
          {unlock.isPending ? 'Unlocking…' : 'Unlock'}
        </button>
        {status.quickUnlockAvailable ? (
          <button type="button" className="secondary wide" onClick={() => quick.mutate()} disabled={quick.isPending}>
            Unlock with system keychain
          </button>
        ) : null}
        <p className="muted small">Vault: {status.dir}</p>
      </form>
    </main>
  );
}
