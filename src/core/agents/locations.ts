import { homedir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { FileFormat } from './detect';

export interface Place {
  path: string;
  format: FileFormat;
  /** What the file is, for people: "Claude Desktop config". */
  what: string;
}

/**
 * Where agent tools keep their configuration, per OS (each tool's own documentation): the MCP
 * server lists that carry `env` blocks, and the shell start-up files where keys get exported.
 */
export function wellKnownPlaces(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Place[] {
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME) || homedir();
  const appData =
    platform === 'win32'
      ? env.APPDATA || join(home, 'AppData', 'Roaming')
      : platform === 'darwin'
        ? join(home, 'Library', 'Application Support')
        : env.XDG_CONFIG_HOME || join(home, '.config');
  const codexHome = env.CODEX_HOME || join(home, '.codex');
  // VS Code extensions keep their own MCP lists in its global storage.
  const vscodeStorage = join(appData, 'Code', 'User', 'globalStorage');
  // Zed reads ~/.config/zed on macOS as on Linux.
  const zed = platform === 'win32' ? join(appData, 'Zed') : join(env.XDG_CONFIG_HOME || join(home, '.config'), 'zed');
  // Continue reads a relative CONTINUE_GLOBAL_DIR from the folder it was started in, which a scan cannot know.
  const continueHome = env.CONTINUE_GLOBAL_DIR && isAbsolute(env.CONTINUE_GLOBAL_DIR) ? env.CONTINUE_GLOBAL_DIR : join(home, '.continue');
  const places: Place[] = [
    { path: join(appData, 'Claude', 'claude_desktop_config.json'), format: 'json', what: 'Claude Desktop config' },
    { path: join(home, '.claude.json'), format: 'json', what: 'Claude Code config' },
    { path: join(home, '.claude', 'settings.json'), format: 'json', what: 'Claude Code settings' },
    { path: join(home, '.cursor', 'mcp.json'), format: 'json', what: 'Cursor MCP config' },
    { path: join(appData, 'Code', 'User', 'mcp.json'), format: 'json', what: 'VS Code MCP config' },
    { path: join(appData, 'Code', 'User', 'settings.json'), format: 'json', what: 'VS Code settings' },
    { path: join(home, '.codeium', 'windsurf', 'mcp_config.json'), format: 'json', what: 'Windsurf MCP config' },
    { path: join(codexHome, 'config.toml'), format: 'toml', what: 'Codex config' },
    { path: join(continueHome, 'config.yaml'), format: 'yaml', what: 'Continue config' },
    { path: join(home, '.gemini', 'settings.json'), format: 'json', what: 'Gemini CLI settings' },
    // Gemini CLI loads its API key from here when no project .env has one.
    { path: join(home, '.gemini', '.env'), format: 'dotenv', what: 'Gemini CLI environment file' },
    { path: join(zed, 'settings.json'), format: 'json', what: 'Zed settings' },
    { path: join(vscodeStorage, 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json'), format: 'json', what: 'Cline MCP config' },
    { path: join(vscodeStorage, 'rooveterinaryinc.roo-cline', 'settings', 'mcp_settings.json'), format: 'json', what: 'Roo Code MCP config' },
    { path: join(home, '.aws', 'amazonq', 'mcp.json'), format: 'json', what: 'Amazon Q Developer MCP config' },
  ];
  if (platform !== 'win32') {
    for (const rc of ['.bashrc', '.bash_profile', '.profile', '.zshrc', '.zprofile', '.zshenv', '.cshrc', '.tcshrc']) {
      places.push({ path: join(home, rc), format: 'shell', what: 'shell start-up file' });
    }
    // fish reads its own from the XDG folder on every OS, macOS included.
    places.push({ path: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'fish', 'config.fish'), format: 'shell', what: 'shell start-up file' });
  }
  return places;
}

const SHELL_FILES = new Set(['.bashrc', '.bash_profile', '.bash_login', '.profile', '.zshrc', '.zprofile', '.zshenv', '.envrc', '.cshrc', '.tcshrc', '.login']);
const TEXT_FILES = new Set(['.npmrc', '.pypirc', '.netrc', '.git-credentials', 'credentials', '.yarnrc']);
const TEXT_EXTENSIONS = new Set(['.ini', '.cfg', '.conf', '.properties']);
// Scripts are read for the variables they set too (`export DB_PASSWORD=…` in a setenv.sh).
const SHELL_EXTENSIONS = new Set(['.sh', '.bash', '.zsh', '.fish', '.csh']);
// .env.example and friends hold placeholders by convention, but often a real key too: read them.
const DOTENV = /^\.env(?:\..+)?$|\.env$/;

/**
 * Which detector reads a file found in a tree, by its name alone (so nothing else is opened), or
 * null for a file that does not hold keys in a form we recognise (source code, images, archives…).
 */
export function formatOf(path: string): FileFormat | null {
  const name = basename(path);
  if (DOTENV.test(name)) return 'dotenv';
  if (SHELL_FILES.has(name)) return 'shell';
  if (TEXT_FILES.has(name)) return 'text';
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot).toLowerCase() : '';
  if (ext === '.json') {
    // Manifests and lock files are large, numerous and hold no credentials in a form tools read.
    return /^(?:package|package-lock|tsconfig|composer)\.json$/.test(name) ? null : 'json';
  }
  if (ext === '.toml') return name === 'keyhold.toml' || name === 'Cargo.lock' ? null : 'toml';
  // .yarnrc.yml too: Yarn's npmAuthToken is a credential-named key.
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (SHELL_EXTENSIONS.has(ext)) return 'shell';
  if (TEXT_EXTENSIONS.has(ext)) return 'text';
  return null;
}
