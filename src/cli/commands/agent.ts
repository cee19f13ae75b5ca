import type { Command } from 'commander';
import { withVault, type GlobalOptions } from '../context';
import { assertTokenEnv, DEFAULT_TOKEN_ENV } from '../../core/vault/agents';
import { KeyholdError } from '../../shared/errors';
import { undeclaredKeys } from '../../shared/domain';
import { cleanField as f, printJson, printTable, say, sayErr } from '../io';
import { parseList, shellWord } from '../parse';

export function registerAgentCommands(program: Command, globals: () => GlobalOptions): void {
  const agent = program.command('agent');

  agent
    .command('set')
    .description("declare an agent's input arguments (a profile's keys must be among them) and name its token variable")
    .argument('<agent-id>')
    .option('--args <a,b,c>', 'comma-separated argument names')
    .option('--token-env <NAME>', `the variable "keyhold run" puts the Kura auth token in (default ${DEFAULT_TOKEN_ENV}; "" for the default)`)
    .option('--json', 'print the result as JSON')
    .action(async (agentId: string, opts: { args?: string; tokenEnv?: string; json?: boolean }) => {
      if (opts.args === undefined && opts.tokenEnv === undefined) {
        throw new KeyholdError('BadInput', 'Nothing to set: give --args, --token-env or both.');
      }
      const { saved, strays } = await withVault(globals(), (vault) => {
        // Both checked before either is saved: a refused token variable must not leave new args behind.
        if (opts.tokenEnv !== undefined && opts.tokenEnv !== '') assertTokenEnv(agentId, opts.tokenEnv);
        if (opts.args !== undefined) vault.agents.set({ agentId, args: parseList(opts.args) });
        if (opts.tokenEnv !== undefined) vault.agents.setTokenEnv(agentId, opts.tokenEnv === '' ? null : opts.tokenEnv);
        const agent = vault.agents.listAll().find((a) => a.agentId === agentId);
        const declared = new Set(agent?.args ?? []);
        // Profiles that now hold keys the agent no longer declares: said, not hidden until their next edit fails.
        const found = opts.args === undefined || !agent?.args ? [] : vault.profiles.list().filter((p) => p.agentId === agentId);
        return { saved: agent, strays: found.map((p) => ({ name: p.name, keys: undeclaredKeys(declared, p.keys) })).filter((p) => p.keys.length > 0) };
      });
      if (!saved) throw new KeyholdError('Internal', 'The agent could not be read back.');
      for (const p of strays) {
        sayErr(
          `keyhold: warning: ${f(`${agentId}/${p.name}`)} holds ${p.keys.map((k) => f(k)).join(', ')}, which ${f(agentId)} no longer declares: ` +
            `Kura refuses the profile at its next sync, and each edit of it must remove ${p.keys.length > 1 ? 'them' : 'it'} (--unset) or the agent declare ${p.keys.length > 1 ? 'them' : 'it'} again.\n`,
        );
      }
      if (opts.json) printJson({ ...saved, tokenEnv: saved.tokenEnv ?? DEFAULT_TOKEN_ENV });
      else {
        const args = saved.args === null ? '(not declared: any key)' : saved.args.join(', ') || '(nothing)';
        say(`Agent ${f(saved.agentId)} declares: ${f(args)}; token variable: ${saved.tokenEnv ?? DEFAULT_TOKEN_ENV}\n`);
      }
    });

  agent
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => vault.agents.listAll());
      if (opts.json) printJson(list.map((a) => ({ ...a, tokenEnv: a.tokenEnv ?? DEFAULT_TOKEN_ENV })));
      else
        printTable(
          ['AGENT', 'ARGUMENTS', 'TOKEN VARIABLE'],
          list.map((a) => [a.agentId, a.args === null ? '(not declared)' : a.args.join(', '), a.tokenEnv ?? DEFAULT_TOKEN_ENV]),
        );
    });

  agent
    .command('rm')
    .description("drop an agent's declared arguments and token variable (its profiles stay, and accept any key again)")
    .argument('<agent-id>')
    .action(async (agentId: string) => {
      const { removed, profiles } = await withVault(globals(), (vault) => {
        // Read before it goes: what it declared (null: no arguments, only a token variable) and who used it.
        const declared = vault.agents.listAll().find((a) => a.agentId === agentId);
        vault.agents.remove(agentId);
        return { removed: declared, profiles: vault.profiles.list().filter((p) => p.agentId === agentId) };
      });
      if (!removed) throw new KeyholdError('Internal', 'The agent could not be read before it was removed.');
      say(`Removed the declaration of ${f(removed.agentId)}.\n`);
      const ownTokenEnv = removed.tokenEnv ?? null;
      // Its profiles are not touched, but how they are checked and run changes: said on stderr (stdout
      // stays the one line above), with their names, so no one takes them for gone or for unchanged.
      if (profiles.length > 0) {
        const names = profiles.map((p) => f(`${p.agentId}/${p.name}`)).join(', ');
        const token = ownTokenEnv === null ? '' : `, and "keyhold run" gives them their Kura token as ${DEFAULT_TOKEN_ENV} instead of ${f(ownTokenEnv)}`;
        sayErr(
          `keyhold: note: its ${profiles.length} profile(s) stay as they are, values and tokens included: ${names}. ` +
            `They now accept any key (Kura may refuse one it does not declare)${token}.\n`,
        );
      }
      // A declaration has no history and no trash: the way back is the command that made it.
      const again = [
        ...(removed.args === null ? [] : ['--args', shellWord(removed.args.join(','))]),
        ...(ownTokenEnv === null ? [] : ['--token-env', shellWord(ownTokenEnv)]),
      ];
      if (again.length > 0) sayErr(`keyhold: note: to declare it again: keyhold agent set ${shellWord(removed.agentId)} ${again.join(' ')}\n`);
    });
}
