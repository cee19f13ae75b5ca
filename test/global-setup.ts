import { build } from 'vite';

// The CLI tests run the built `keyhold` exactly as users do (`npm run build` → out/cli/keyhold.js).
export default async function setup(): Promise<void> {
  await build({ configFile: 'vite.cli.config.ts', logLevel: 'warn' });
}
