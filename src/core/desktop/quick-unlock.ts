import type { SecretStoragePort } from './ports';

export type QuickUnlockDecision = { allowed: true } | { allowed: false; reason: 'unavailable' | 'insecure-backend'; message: string };

/**
 * Quick unlock keeps a copy of the vault key encrypted by the OS keychain, so it is only as strong
 * as that keychain. Without one, or with Linux's `basic_text` fallback (a key hard-coded in
 * Chromium), it would be a copy of the key in the clear, and is refused.
 */
export function quickUnlockPolicy(storage: SecretStoragePort): QuickUnlockDecision {
  if (!storage.isAvailable()) {
    return {
      allowed: false,
      reason: 'unavailable',
      message: 'Quick unlock needs the system keychain, which is not available right now.',
    };
  }
  const backend = storage.backend();
  if (backend === 'basic_text' || backend === 'unknown') {
    return {
      allowed: false,
      reason: 'insecure-backend',
      message: 'Quick unlock is off because this desktop has no secure keychain (such as GNOME Keyring or KWallet). Use your master password.',
    };
  }
  return { allowed: true };
}
