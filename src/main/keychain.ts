import { safeStorage } from 'electron';
import type { SecretStorageBackend, SecretStoragePort } from '../core/desktop';

export function createElectronSecretStorage(platform: NodeJS.Platform = process.platform): SecretStoragePort {
  return {
    isAvailable: () => safeStorage.isEncryptionAvailable(),
    backend(): SecretStorageBackend {
      if (platform === 'darwin') return 'keychain';
      if (platform === 'win32') return 'dpapi';
      if (platform === 'linux') return safeStorage.getSelectedStorageBackend();
      return 'unknown';
    },
    encrypt: (plainText) => safeStorage.encryptString(plainText),
    decrypt: (cipherText) => safeStorage.decryptString(cipherText),
  };
}
