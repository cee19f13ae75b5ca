import { benchRedact, benchScan } from './agents';
import { benchCli } from './cli';
import { benchHostile } from './hostile';
import { benchShare } from './share';
import { benchSync } from './sync';
import { benchVault } from './vault';

// `npm run bench -- <suite>...`; no suite runs them all.
const suites: Record<string, () => Promise<void>> = {
  vault: benchVault,
  sync: benchSync,
  share: benchShare,
  cli: benchCli,
  scan: benchScan,
  redact: benchRedact,
  hostile: benchHostile,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((s) => !(s in suites));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) await (suites[name] as () => Promise<void>)();
