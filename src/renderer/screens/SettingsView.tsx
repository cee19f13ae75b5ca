import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { contract } from '../../shared/contract';
import type { VaultStatus } from '../../shared/contract';
import { UserSettings } from '../../shared/settings';
import { useApi } from '../api';
import { useKeptDrafts, usePutBack, useUnsavedEdits } from '../drafts';
import { qk } from '../queries';
import { useAppState } from '../state';
import { SessionsSection } from './SessionsSection';
import { TrustedFilesSection } from './TrustedFilesSection';
import { InputField, Toggle } from '../ui/fields';
import { ErrorNote, Field, PageHeader, Spinner, StrengthHint } from '../ui/kit';

const ChangePassword = contract.vaultChangePassword.input
  .extend({ confirm: contract.vaultUnlock.input.shape.password })
  .refine((v) => v.next === v.confirm, { path: ['confirm'], message: 'The two new passwords are not the same.' });

const KDF_LABEL: Record<string, string> = { standard: 'Standard', strong: 'Strong', custom: 'Custom' };

/** The numeric preferences, in the order shown; their bounds are the settings schema's own. */
const LIMITS = (
  [
    ['autoLockMinutes', 'Lock after (minutes without activity)'],
    ['clipboardSeconds', 'Clear the clipboard after (seconds)'],
    ['keyMaxAgeDays', 'Flag keys older than (days)'],
  ] as const
).map(([name, label]) => ({ name, label, min: UserSettings.shape[name].minValue ?? undefined, max: UserSettings.shape[name].maxValue ?? undefined }));

/** The name the preferences form gives its unsaved edits. */
const SETTINGS_DRAFT = 'settings-form';

function PreferencesForm({ settings, restored }: { settings: UserSettings; restored: string | undefined }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const form = useForm({ resolver: zodResolver(UserSettings), mode: 'onChange', defaultValues: settings });
  const { errors, isDirty } = form.formState;
  const watched = form.watch();
  useUnsavedEdits(SETTINGS_DRAFT, isDirty ? watched : null);
  // Turning quick unlock on takes the master password. It is held here, outside the form, so it is
  // never part of the edits kept across a lock, and sent only with the save that turns it on.
  const [password, setPassword] = useState('');
  const [passwordMissing, setPasswordMissing] = useState(false);
  const turningOn = watched.quickUnlock && !settings.quickUnlock;
  useEffect(() => {
    if (!turningOn) setPassword('');
  }, [turningOn]);
  // Only what the form holds, of the types it holds them in; anything else stays as saved.
  usePutBack(
    restored,
    (v) => {
      const kept: Partial<UserSettings> = {};
      for (const [name, value] of Object.entries(v)) {
        if (!Object.hasOwn(settings, name)) continue;
        const saved = settings[name as keyof UserSettings];
        if (typeof value === typeof saved || (typeof saved === 'number' && value === null)) Object.assign(kept, { [name]: value ?? Number.NaN });
      }
      return kept;
    },
    (kept) => {
      form.reset({ ...settings, ...kept }, { keepDefaultValues: true });
      if (kept.theme) applyTheme(kept.theme);
      void form.trigger();
    },
  );
  const save = useMutation({
    mutationFn: (v: UserSettings) => api.settingsSet(v.quickUnlock && !settings.quickUnlock ? { ...v, password } : v),
    onSuccess: (s) => {
      setPassword('');
      qc.setQueryData(qk.settings, s);
      void qc.invalidateQueries({ queryKey: qk.health });
      form.reset(s);
      toast('success', 'Settings saved.');
    },
  });
  const num = { valueAsNumber: true } as const;
  return (
    <form
      className="card form"
      aria-labelledby="prefs-title"
      noValidate
      onSubmit={form.handleSubmit((v) => {
        const missing = v.quickUnlock && !settings.quickUnlock && password === '';
        setPasswordMissing(missing);
        if (!missing) save.mutate(v);
      })}
    >
      <h2 id="prefs-title">Preferences</h2>
      <div className="form-grid">
        {LIMITS.map(({ name, label, min, max }) => (
          <InputField key={name} label={label} error={errors[name]?.message} type="number" min={min} max={max} {...form.register(name, num)} />
        ))}
        <Field label="Theme">
          {({ id }) => (
            <select
              id={id}
              {...form.register('theme', { onChange: (e: React.ChangeEvent<HTMLSelectElement>) => applyTheme(e.target.value as UserSettings['theme']) })}
            >
              <option value="system">Same as the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          )}
        </Field>
      </div>
      <Toggle {...form.register('quickUnlock')}>
        Quick unlock with the system keychain <span className="muted">(the vault key is kept by your operating system's keychain)</span>
      </Toggle>
      {turningOn ? (
        <InputField
          label="Master password (to turn on quick unlock)"
          hint="Quick unlock works for 14 days after each unlock with the master password; then the password is asked for again."
          error={passwordMissing && password === '' ? 'Enter your master password to turn on quick unlock.' : undefined}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      ) : null}
      <ErrorNote error={save.error} />
      <div className="form-actions">
        <span className="spacer-flex" />
        <button type="submit" className="primary" disabled={!isDirty || save.isPending}>
          Save settings
        </button>
      </div>
    </form>
  );
}

function PasswordForm({ status }: { status: VaultStatus | undefined }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const form = useForm({
    resolver: zodResolver(ChangePassword),
    mode: 'onTouched',
    defaultValues: { current: '', next: '', confirm: '', kdf: undefined as 'standard' | 'strong' | undefined },
  });
  const { errors } = form.formState;
  const next = form.watch('next');
  const change = useMutation({
    mutationFn: (v: { current: string; next: string; kdf?: 'standard' | 'strong' | undefined }) =>
      api.vaultChangePassword(v.kdf ? { current: v.current, next: v.next, kdf: v.kdf } : { current: v.current, next: v.next }),
    onSuccess: (s) => {
      qc.setQueryData(qk.vaultStatus, s);
      form.reset();
      toast('success', 'Master password changed. Use the new one from now on.');
    },
  });
  return (
    <form className="card form" aria-labelledby="pw-title" noValidate onSubmit={form.handleSubmit((v) => change.mutate(v))}>
      <h2 id="pw-title">Master password and key strength</h2>
      <p className="muted small">
        Current key strength: {status?.kdf ? KDF_LABEL[status.kdf] : 'unknown'}. Changing the password re-encrypts only the vault key, so it is quick.
      </p>
      <InputField
        label="Current master password"
        error={errors.current ? 'Enter your current master password.' : undefined}
        type="password"
        autoComplete="current-password"
        {...form.register('current')}
      />
      <InputField
        label="New master password"
        error={errors.next?.message}
        hint={<StrengthHint secret={next} label="New password strength" fallback={null} />}
        type="password"
        autoComplete="new-password"
        {...form.register('next')}
      />
      <InputField label="Repeat the new password" error={errors.confirm?.message} type="password" autoComplete="new-password" {...form.register('confirm')} />
      <Field label="Key strength">
        {({ id }) => (
          <select id={id} {...form.register('kdf', { setValueAs: (v: string) => (v === '' ? undefined : v) })}>
            <option value="">Keep as it is</option>
            <option value="standard">Standard (faster unlock)</option>
            <option value="strong">Strong (slower unlock, harder to attack)</option>
          </select>
        )}
      </Field>
      <div className="callout callout-warning" role="note">
        The new password cannot be recovered either. Keep it somewhere safe before you save.
      </div>
      <ErrorNote error={change.error} />
      <div className="form-actions">
        <span className="spacer-flex" />
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

/** Sets the page theme; "system" lets prefers-color-scheme decide (see app.css). */
export function applyTheme(theme: UserSettings['theme']): void {
  document.documentElement.dataset.theme = theme;
}

export function SettingsView() {
  const api = useApi();
  const settings = useQuery({ queryKey: qk.settings, queryFn: () => api.settingsGet() });
  const status = useQuery({ queryKey: qk.vaultStatus, queryFn: () => api.vaultStatus() });
  const [restored, setRestored] = useState<string | undefined>(undefined);
  useKeptDrafts('settings', ([draft]) => setRestored(draft?.key === SETTINGS_DRAFT ? draft.values : undefined));
  return (
    <div className="page">
      <PageHeader title="Settings">Vault: {status.data?.dir}</PageHeader>
      {settings.isPending ? <Spinner label="Loading settings" /> : null}
      <ErrorNote error={settings.error} />
      <div className="two-col">
        {settings.data ? <PreferencesForm settings={settings.data} restored={restored} /> : null}
        <PasswordForm status={status.data} />
      </div>
      <div className="two-col">
        <SessionsSection />
        <TrustedFilesSection />
      </div>
    </div>
  );
}
