import type { Command } from 'commander';
import { withVault, type GlobalOptions } from '../context';
import { out, printJson, printTable } from '../io';
import { parseList } from '../parse';

export function registerAgentCommands(program: Command, globals: () => GlobalOptions): void {
  const agent = program.command('agent');

  agent
    .command('set')
    .description("declare an agent's input arguments (a profile's keys must be among them)")
    .argument('<agent-id>')
    .requiredOption('--args <a,b,c>', 'comma-separated argument names')
    .option('--json', 'print the result as JSON')
    .action(async (agentId: string, opts: { args: string; json?: boolean }) => {
      const summary = await withVault(globals(), (vault) => vault.agents.set({ agentId, args: parseList(opts.args) }));
      if (opts.json) printJson(summary);
      else out(`Agent ${summary.agentId} declares: ${summary.args.join(', ') || '(nothing)'}\n`);
    });

  agent
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => vault.agents.list());
      if (opts.json) printJson(list);
      else printTable(['AGENT', 'ARGUMENTS'], list.map((a) => [a.agentId, a.args.join(', ')]));
    });

  agent
    .command('rm')
    .description("drop an agent's declaration (its profiles stay, and accept any key again)")
    .argument('<agent-id>')
    .action(async (agentId: string) => {
      const removed = await withVault(globals(), (vault) => vault.agents.remove(agentId));
      out(`Removed the declaration of ${removed.agentId}.\n`);
    });
}
