// The fake Kura in its own process for the sync benchmark, so server work does not share a core
// with the client being measured. Prints its URL; commands on stdin: "latency N", "reset".
import { createInterface } from 'node:readline';
import { startFakeKura } from '../test/fakes/kura';

const kura = await startFakeKura();
process.stdout.write(`${kura.url}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'latency') kura.faults.latencyMs = Number(arg);
  if (cmd === 'reset') kura.state.profiles.clear();
  process.stdout.write(`ok ${kura.state.profiles.size}\n`);
}
await kura.close();
