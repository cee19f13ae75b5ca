// Electron-only facilities reach core as these small ports (DESIGN.md, "Layers and folders"):
// src/main implements them with Electron, tests implement them in memory.

export interface ClipboardPort {
  writeText(text: string): void;
  readText(): string;
}

export type PowerEvent = 'suspend' | 'lock-screen';

/** The operating system's signals that the person has stepped away. */
export interface PowerPort {
  on(event: PowerEvent, listener: () => void): () => void;
}

/**
 * Where the OS keeps the key that protects locally stored secrets. On Linux `basic_text` means
 * the key is a constant compiled into Chromium, i.e. no protection at all.
 */
export type SecretStorageBackend = 'keychain' | 'dpapi' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'basic_text' | 'unknown';

/** safeStorage-like encryption with an OS-held key. */
export interface SecretStoragePort {
  isAvailable(): boolean;
  backend(): SecretStorageBackend;
  encrypt(plainText: string): Buffer;
  decrypt(cipherText: Buffer): string;
}

/** Injectable so tests and benchmarks can drive time themselves. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending clear or lock must never keep a quitting process alive.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
