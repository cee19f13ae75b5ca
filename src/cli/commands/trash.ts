import type { Command } from 'commander';
import { withVault, type GlobalOptions } from '../context';
import { printJson, printTable, say } from '../io';

export function registerTrashCommands(program: Command, globals: () => GlobalOptions): void {
  const trash = program.command('trash');

  trash
    .command('list')
    .description('list what is in the trash and when each item is purged')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => vault.trash.list());
      if (opts.json) printJson(list);
      else
        printTable(
          ['ID', 'KIND', 'ITEM', 'TOKEN', 'DELETED', 'PURGED AFTER'],
          list.map((e) => [e.id.slice(0, 8), e.kind, e.ref, e.hasToken ? 'yes' : 'no', e.trashedAt, e.purgeAt]),
        );
    });

  trash
    .command('restore')
    .description('put an item back as it was (its name or kind must be free)')
    .argument('<id>')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const restored = await withVault(globals(), (vault) => vault.trash.restore(id));
      if (opts.json) printJson(restored);
      else say(`Restored ${restored.kind} ${restored.ref} (${restored.id}), ${restored.state}\n`);
    });

  trash
    .command('purge')
    .description('delete for good: one item, or with no ID everything in the trash (needs --yes)')
    .argument('[id]')
    .option('--yes', 'confirm emptying the whole trash')
    .action(async (id: string | undefined, opts: { yes?: boolean }) => {
      if (id !== undefined) {
        const purged = await withVault(globals(), (vault) => vault.trash.purge(id));
        say(`Purged ${purged.kind} ${purged.ref} (${purged.id}).\n`);
        return;
      }
      const count = await withVault(globals(), (vault) => vault.trash.purgeAll({ confirm: opts.yes ?? false }));
      say(`Purged ${count} item(s).\n`);
    });
}
