import type { Command } from 'commander';
import { withVault, type GlobalOptions } from '../context';
import { cleanField as f, printJson, printTable } from '../io';
import { parseList } from '../parse';

export function registerAgentCommands(program: Command, globals: () => GlobalOptions): void {
  const agent = program.command('agent').description("agents' declared input arguments, checked offline");

  agent
    .command('set')
    .description("declare an agent's input arguments (a profile's keys must be among them)")
    .argument('<agent-id>')
    .requiredOption('--args <a,b,c>', 'comma-separated argument names')
    .option('--json', 'print the result as JSON')
    .action(async (agentId: string, opts: { args: string; json?: boolean }) => {
      const summary = await withVault(globals(), (vault) => vault.agents.set({ agentId, args: parseList(opts.args) }));
      if (opts.json) printJson(summary);
      else process.stdout.write(`Agent ${f(summary.agentId)} declares: ${f(summary.args.join(', ')) || '(nothing)'}\n`);
    });

  agent
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => vault.agents.list());
      if (opts.json) printJson(list);
      else printTable(['AGENT', 'ARGUMENTS'], list.map((a) => [a.agentId, a.args.join(', ')]));
    });
}
