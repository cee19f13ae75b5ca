import type { Command } from 'commander';
import { addContact, listContacts, removeContact, resolveRecipients } from '../../core/share/contacts';
import { describeSigner, exportToFile, importFile } from '../../core/share/exchange';
import { vaultIdentity } from '../../core/share/vault-keys';
import { ConflictPolicy, describeByokDiff, describeProfileDiff } from '../../shared/share';
import type { AgentChange, ByokChange, ImportPreview, ImportResult, ProfileChange, ProfileDiff } from '../../shared/share';
import { KeyholdError } from '../../shared/errors';
import { plural } from '../../shared/text';
import { withVault, type GlobalOptions } from '../context';
import { err, out, printJson, printTable, readStdinSecret } from '../io';

interface ExportOptions {
  out: string;
  to?: string[];
  passphraseStdin?: boolean;
  select?: string[];
  all?: boolean;
  includeTokens?: boolean;
  withByok?: boolean;
  armor?: boolean;
  json?: boolean;
}

interface ImportOptions {
  passphraseStdin?: boolean;
  onConflict: string;
  dryRun?: boolean;
  draft?: boolean;
  json?: boolean;
  allowUnsigned?: boolean;
}

const names = (keys: string[]) => keys.join(', ');

function profileLine(c: ProfileChange): string {
  const ref = `${c.agentId}/${c.name}`;
  if (c.status === 'new') return `  + create    ${ref}${c.withToken ? ' (with Kura token)' : ''}`;
  if (c.status === 'identical') return `  = identical ${ref}`;
  const target =
    c.action === 'update' ? 'overwrite' : c.action === 'create' ? `keep both, import as "${c.importedAs}"` : 'skip, keep this vault\'s';
  return `  ~ differs   ${ref}: ${describeProfileDiff(c.diff as ProfileDiff)} → ${target}${c.note ? ` (${c.note})` : ''}`;
}

function byokLine(c: ByokChange): string {
  if (c.status === 'new') return `  + create    ${c.kind} (${c.provider})`;
  if (c.status === 'identical') return `  = identical ${c.kind}`;
  return `  ~ differs   ${c.kind}: ${describeByokDiff(c.diff)} → ${c.action === 'update' ? 'overwrite (the old key stays in history)' : 'skip'}${c.note ? ` (${c.note})` : ''}`;
}

function agentLine(c: AgentChange): string {
  if (c.status === 'new') return `  + declare   ${c.agentId}: ${names(c.added) || '(no arguments)'}`;
  if (c.status === 'identical') return `  = identical ${c.agentId}`;
  const parts = [c.added.length ? `bundle adds ${names(c.added)}` : '', c.removed.length ? `bundle lacks ${names(c.removed)}` : ''];
  return `  ! differs   ${c.agentId}: ${parts.filter(Boolean).join('; ')} (not applied: this vault's declaration stays)`;
}

function countsText(c: ImportPreview['counts']['profiles']): string {
  return `${c.new} new, ${c.identical} identical, ${c.differs} differ → ${c.create} to create, ${c.update} to update, ${c.skip} to skip`;
}

function printPreview(p: ImportPreview): void {
  const lines = [
    `Signed by: ${describeSigner(p.signer)}`,
    `Exported:  ${p.exportedAt}`,
    `Policy:    on conflict ${p.policy}; imported items arrive as ${p.state}`,
    `Profiles:  ${countsText(p.counts.profiles)}`,
    ...p.profiles.map(profileLine),
  ];
  if (p.byokKeys.length > 0) lines.push(`BYOK keys: ${countsText(p.counts.byokKeys)}`, ...p.byokKeys.map(byokLine));
  if (p.agents.length > 0) lines.push('Agents:', ...p.agents.map(agentLine));
  out(`${lines.join('\n')}\n`);
}

function printResult(r: ImportResult): void {
  const parts = [
    `${plural(r.profiles.created, 'profile')} created, ${r.profiles.updated} updated, ${r.profiles.skipped} skipped`,
    `${plural(r.byokKeys.created, 'BYOK key')} created, ${r.byokKeys.updated} updated, ${r.byokKeys.skipped} skipped`,
    `${plural(r.agents.declared, 'agent')} declared`,
  ];
  out(`Imported as ${r.state}: ${parts.join('; ')}.\n`);
}

const warn = (message: string) => err(`warning: ${message}\n`);

export function registerShareCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('identity')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const id = await withVault(globals(), (vault) => vaultIdentity(vault));
      if (opts.json) {
        printJson(id);
        return;
      }
      out(
        [
          `recipient:    ${id.recipient}`,
          `signing key:  ${id.signingPublicKey}`,
          `fingerprint:  ${id.fingerprint}`,
          '',
          'Teammates add you with:',
          `  keyhold contact add YOUR_NAME ${id.recipient} --signing-key ${id.signingPublicKey}`,
        ].join('\n') + '\n',
      );
    });

  const contact = program.command('contact');

  contact
    .command('add')
    .description('add a teammate by their age recipient (from "keyhold identity" or age-keygen)')
    .argument('<name>')
    .argument('<recipient>', 'age1…')
    .option('--signing-key <base64>', 'their signing public key, so imports of their bundles show their name')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, recipient: string, opts: { signingKey?: string; json?: boolean }) => {
      const added = await withVault(globals(), (vault) =>
        addContact(vault, { name, recipient, ...(opts.signingKey === undefined ? {} : { signingKey: opts.signingKey }) }),
      );
      if (opts.json) printJson(added);
      else out(`Added ${added.name}${added.fingerprint ? `, signing key ${added.fingerprint}` : ''}\n`);
    });

  contact
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => listContacts(vault));
      if (opts.json) printJson(list);
      else printTable(['NAME', 'RECIPIENT', 'SIGNING KEY FINGERPRINT'], list.map((c) => [c.name, c.recipient, c.fingerprint ?? '(none)']));
    });

  contact
    .command('rm')
    .argument('<name>')
    .action(async (name: string) => {
      const removed = await withVault(globals(), (vault) => removeContact(vault, name));
      out(`Removed ${removed.name}.\n`);
    });

  program
    .command('export')
    .requiredOption('--out <file>', 'the file to write (never overwritten)')
    .option('--to <recipient...>', 'a contact name or an age1… recipient who can open the file (repeatable)')
    .option('--passphrase-stdin', 'encrypt to a passphrase read from standard input instead')
    .option('--select <ref...>', 'profiles to export (id, id prefix or AGENT_ID/NAME; repeatable)')
    .option('--all', 'export every profile')
    .option('--include-tokens', 'include Kura auth tokens (meant for bundles to yourself: whoever opens the file can update those remote profiles)')
    .option('--with-byok', 'include every BYOK key')
    .option('--armor', 'ASCII-armored output (PEM-like text) instead of binary')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: ExportOptions) => {
      const toCount = opts.to?.length ?? 0;
      if (toCount > 0 && opts.passphraseStdin) {
        throw new KeyholdError('BadInput', 'Encrypt to recipients (--to) or to a passphrase (--passphrase-stdin), not both.');
      }
      if (toCount === 0 && !opts.passphraseStdin) {
        throw new KeyholdError('BadInput', 'Choose who can open the export: --to CONTACT|age1… (repeatable) or --passphrase-stdin.');
      }
      const passphrase = opts.passphraseStdin ? readStdinSecret('The passphrase') : undefined;
      const summary = await withVault(globals(), (vault) =>
        exportToFile(vault, opts.out, {
          target: passphrase === undefined ? { recipients: resolveRecipients(vault, opts.to ?? []) } : { passphrase },
          all: opts.all ?? false,
          select: opts.select ?? [],
          includeTokens: opts.includeTokens ?? false,
          withByok: opts.withByok ?? false,
          armor: opts.armor ?? false,
        }),
      );
      if (opts.json) printJson(summary);
      else {
        const to = summary.passphrase ? 'a passphrase' : plural(summary.recipients, 'recipient');
        out(
          `Exported ${plural(summary.profiles, 'profile')}, ${plural(summary.byokKeys, 'BYOK key')} and ${plural(summary.agents, 'agent declaration')} ` +
            `to ${opts.out}, encrypted to ${to}, signed ${summary.signer}\n`,
        );
      }
      if (summary.tokensIncluded) {
        warn(`the export carries ${plural(summary.tokens, 'Kura auth token')}: whoever opens it can update those remote profiles.`);
      }
    });

  program
    .command('import')
    .argument('<file>')
    .option('--passphrase-stdin', 'read the passphrase of a passphrase-protected file from standard input')
    .option('--on-conflict <policy>', `when a profile or key exists with other values: ${ConflictPolicy.options.join(', ')}`, 'skip')
    .option('--dry-run', 'show the preview and change nothing')
    .option('--draft', 'imported items arrive as drafts, kept back from sync')
    .option('--allow-unsigned', 'accept a bundle that is not signed')
    .option('--json', 'print the preview and result as JSON')
    .action(async (file: string, opts: ImportOptions) => {
      const policy = ConflictPolicy.safeParse(opts.onConflict);
      if (!policy.success) {
        throw new KeyholdError('BadInput', `--on-conflict is one of ${ConflictPolicy.options.join(', ')}, not "${opts.onConflict}".`);
      }
      const passphrase = opts.passphraseStdin ? readStdinSecret('The passphrase') : undefined;
      const outcome = await withVault(globals(), async (vault) => {
        try {
          return await importFile(vault, file, {
            ...(passphrase === undefined ? {} : { passphrase }),
            allowUnsigned: opts.allowUnsigned ?? false,
            onConflict: policy.data,
            draft: opts.draft ?? false,
            dryRun: opts.dryRun ?? false,
          });
        } catch (e) {
          if (e instanceof KeyholdError && e.code === 'DecryptFailed' && e.field === 'passphrase' && passphrase === undefined) {
            throw new KeyholdError('DecryptFailed', 'This file is protected by a passphrase: pipe it in with --passphrase-stdin.', { field: 'passphrase' });
          }
          if (e instanceof KeyholdError && e.code === 'Unsigned') {
            throw new KeyholdError('Unsigned', `${e.message} To import it anyway, add --allow-unsigned.`);
          }
          throw e;
        }
      });
      for (const w of outcome.preview.warnings) warn(w);
      if (opts.json) {
        printJson({ dryRun: opts.dryRun ?? false, preview: outcome.preview, result: outcome.result });
        return;
      }
      printPreview(outcome.preview);
      if (outcome.result) printResult(outcome.result);
      else out('Dry run: nothing was changed.\n');
    });
}
