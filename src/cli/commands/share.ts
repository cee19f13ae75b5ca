import { basename } from 'node:path';
import type { Command } from 'commander';
import { addContact, listContacts, removeContact, resolveRecipients } from '../../core/share/contacts';
import { applyImport, describeSigner, exportToFile, openImport, previewImport, readBundleFile } from '../../core/share/exchange';
import { checkImportConsent } from '../../core/share/import-safety';
import { vaultIdentity } from '../../core/share/vault-keys';
import { ConflictPolicy, describeByokDiff, describeProfileDiff } from '../../shared/share';
import type { AgentChange, ByokChange, ImportPreview, ImportResult, ProfileChange, ProfileDiff } from '../../shared/share';
import { KeyholdError } from '../../shared/errors';
import { plural } from '../../shared/text';
import { withVault, type GlobalOptions } from '../context';
import { collect } from '../parse';
import { cleanField as f, confirm, currentIo, printJson, printTable, readStdinSecret, say, sayErr } from '../io';
import { ALLOW_ENV_HELP } from './profile';

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
  trustSigner?: boolean;
  allowEnv?: string[];
  yes?: boolean;
}

const names = (keys: string[]) => keys.map(f).join(', ');

/** Every name here came from the file: each is shown with its control characters escaped. */
function profileLine(c: ProfileChange): string[] {
  const ref = f(`${c.agentId}/${c.name}`);
  let head: string;
  if (c.status === 'new') head = `  + create    ${ref}${c.withToken ? ' (with Kura token)' : ''}${c.state === 'draft' ? ', as a draft' : ''}`;
  else if (c.status === 'identical') head = `  = identical ${ref}`;
  else {
    const target = c.action === 'update' ? 'overwrite' : c.action === 'create' ? `keep both, import as "${f(c.importedAs ?? '')}"` : "skip, keep this vault's";
    head = `  ~ differs   ${ref}: ${f(describeProfileDiff(c.diff as ProfileDiff))} → ${target}`;
  }
  const lines = [head, `      keys: ${names(c.keys) || '(none)'} (values not shown)`];
  if (c.action !== 'skip' && c.dangerousKeys.length > 0) lines.push(`      ! changes how programs run when injected: ${names(c.dangerousKeys)}`);
  if (c.replacesRemote) lines.push(`      ! ${c.note ?? ''}`);
  else if (c.note && c.status === 'differs') lines.push(`      (${c.note})`);
  return lines;
}

function byokLine(c: ByokChange): string {
  if (c.status === 'new') return `  + create    ${f(c.kind)} (${f(c.provider)})`;
  if (c.status === 'identical') return `  = identical ${f(c.kind)}`;
  return `  ~ differs   ${f(c.kind)}: ${describeByokDiff(c.diff)} → ${c.action === 'update' ? 'overwrite (the old key stays in history)' : 'skip'}${c.note ? ` (${c.note})` : ''}`;
}

function agentLine(c: AgentChange): string {
  if (c.status === 'new') return `  + declare   ${f(c.agentId)}: ${names(c.added) || '(no arguments)'}`;
  if (c.status === 'identical') return `  = identical ${f(c.agentId)}`;
  const parts = [c.added.length ? `bundle adds ${names(c.added)}` : '', c.removed.length ? `bundle lacks ${names(c.removed)}` : ''];
  return `  ! differs   ${f(c.agentId)}: ${parts.filter(Boolean).join('; ')} (not applied: this vault's declaration stays)`;
}

function countsText(c: ImportPreview['counts']['profiles']): string {
  return `${c.new} new, ${c.identical} identical, ${c.differs} differ → ${c.create} to create, ${c.update} to update, ${c.skip} to skip`;
}

function printPreview(p: ImportPreview): void {
  const lines = [
    `Signed by: ${f(describeSigner(p.signer))}`,
    `Exported:  ${f(p.exportedAt)}`,
    `Policy:    on conflict ${p.policy}; imported items arrive as ${p.state}`,
    `Profiles:  ${countsText(p.counts.profiles)}`,
    ...p.profiles.flatMap(profileLine),
  ];
  if (p.byokKeys.length > 0) lines.push(`BYOK keys: ${countsText(p.counts.byokKeys)}`, ...p.byokKeys.map(byokLine));
  if (p.agents.length > 0) lines.push('Agents:', ...p.agents.map(agentLine));
  say(`${lines.join('\n')}\n`);
}

function printResult(r: ImportResult): void {
  const parts = [
    `${plural(r.profiles.created, 'profile')} created, ${r.profiles.updated} updated, ${r.profiles.skipped} skipped`,
    `${plural(r.byokKeys.created, 'BYOK key')} created, ${r.byokKeys.updated} updated, ${r.byokKeys.skipped} skipped`,
    `${plural(r.agents.declared, 'agent')} declared`,
  ];
  say(`Imported as ${r.state}: ${parts.join('; ')}.\n`);
}

const warn = (message: string) => sayErr(`warning: ${f(message)}\n`);

/**
 * The passphrase an export is encrypted to, from standard input. Piped in twice out of habit
 * (`printf 'pw\npw\n'`, as a prompt that asks twice would want), it used to be taken whole, line
 * break included: a file nobody could open, since age and Keyhold take a passphrase on one line.
 */
function readExportPassphrase(): string {
  const passphrase = readStdinSecret('The passphrase');
  const lines = passphrase.split(/\r?\n|\r/).length;
  if (lines > 1) {
    throw new KeyholdError(
      'BadInput',
      `The passphrase read from standard input is ${lines} lines: pipe it in once, on one line (age asks for a passphrase on one line, so it could not open the file). Nothing was written.`,
      { field: 'passphrase' },
    );
  }
  return passphrase;
}

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
      say(
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
      else say(`Added ${f(added.name)}${added.fingerprint ? `, signing key ${added.fingerprint}` : ''}\n`);
    });

  contact
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withVault(globals(), (vault) => listContacts(vault));
      if (opts.json) printJson(list);
      else
        printTable(
          ['NAME', 'RECIPIENT', 'SIGNING KEY FINGERPRINT'],
          list.map((c) => [c.name, c.recipient, c.fingerprint ?? '(none)']),
        );
    });

  contact
    .command('rm')
    .argument('<name>')
    .action(async (name: string) => {
      const removed = await withVault(globals(), (vault) => removeContact(vault, name));
      say(`Removed ${f(removed.name)}.\n`);
    });

  program
    .command('export')
    .requiredOption('-o, --out <file>', 'the file to write (never overwritten)')
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
      const passphrase = opts.passphraseStdin ? readExportPassphrase() : undefined;
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
        say(
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
    .option('--trust-signer', 'trust the signer for this import although it is not a contact (compare the fingerprint with the sender first)')
    .option('--allow-env <KEY>', ALLOW_ENV_HELP, collect)
    .option('-y, --yes', 'apply without asking (for scripts; without a terminal an import needs it)')
    .option('--json', 'print the preview and result as JSON')
    .action(async (file: string, opts: ImportOptions) => {
      const policy = ConflictPolicy.safeParse(opts.onConflict);
      if (!policy.success) {
        throw new KeyholdError('BadInput', `--on-conflict is one of ${ConflictPolicy.options.join(', ')}, not "${f(opts.onConflict)}".`);
      }
      const passphrase = opts.passphraseStdin ? readStdinSecret('The passphrase') : undefined;
      const bytes = await readBundleFile(file);
      const consent = { trustSigner: opts.trustSigner ?? false, allowEnv: opts.allowEnv ?? [] };
      await withVault(globals(), async (vault) => {
        let opened;
        try {
          opened = await openImport(vault, bytes, {
            ...(passphrase === undefined ? {} : { passphrase }),
            allowUnsigned: opts.allowUnsigned ?? false,
            fileName: basename(file),
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
        const preview = previewImport(vault, opened, { onConflict: policy.data, draft: opts.draft ?? false });
        for (const w of preview.warnings) warn(w);
        // --json prints one document at the end: the preview, and the result once applied.
        if (!opts.json) printPreview(preview);
        if (opts.dryRun) {
          if (opts.json) printJson({ dryRun: true, preview, result: null });
          else say('Dry run: nothing was changed.\n');
          return;
        }
        try {
          checkImportConsent(preview, consent);
        } catch (e) {
          if (e instanceof KeyholdError && e.code === 'UntrustedSigner') {
            throw new KeyholdError('UntrustedSigner', `${e.message} If it matches, add --trust-signer.`);
          }
          throw e;
        }
        if (!opts.yes) {
          if (!currentIo().stdin.isTTY) {
            throw new KeyholdError(
              'BadInput',
              'Nothing was imported: there is no terminal to confirm the import on. Read the preview, then run it again with --yes.',
            );
          }
          if (!(await confirm('Import these items? [y/N] '))) throw new KeyholdError('Cancelled', 'Nothing was imported.');
        }
        const result = applyImport(vault, opened, preview, consent);
        if (opts.json) printJson({ dryRun: false, preview, result });
        else printResult(result);
        const drafts = preview.profiles.filter((c) => c.replacesRemote).length;
        if (drafts > 0 && !opts.json) {
          say(
            `${plural(drafts, 'profile')} arrived as drafts: mark each ready with "keyhold profile ready REF" only if replacing the sender's remote profile is intended.\n`,
          );
        }
      });
    });
}
