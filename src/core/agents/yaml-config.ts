import { isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { KeyholdError } from '../../shared/errors';
import { MAX_CONFIG_DEPTH, nestedTooDeeply } from '../devflow/nesting';
import { aliasTargets, isMergeKey, keyText, MAX_ALIAS_USES, MAX_ALIASED_NODES, readYaml, stringScalar, YamlRefused, type YamlFile } from './yaml';

/*
 * A YAML MCP config as `mcp wrap` plans from it: its data as JSON would give it (Continue's list of
 * servers, `mcpServers: [- name: github …]`, is read by listed.ts's rule). Every
 * reason not to read it is a refusal that says what and changes nothing; none quotes the file.
 */

/** A tagged scalar (`!secret name`, `!!binary …`): not a literal string, so never a secret to move. */
const TAGGED = Object.freeze({ tagged: true });

function refusal(problem: YamlRefused['problem']): KeyholdError {
  switch (problem.kind) {
    case 'syntax':
      return new KeyholdError(
        'BadInput',
        `The file is not valid YAML (line ${problem.line}: ${problem.code.toLowerCase().replaceAll('_', ' ')}). Nothing was changed.`,
      );
    case 'nesting':
      return nestedTooDeeply('The file');
    case 'aliases':
      return new KeyholdError(
        'BadInput',
        `The file uses YAML aliases (*name) past what Keyhold follows (${MAX_ALIAS_USES} uses, ${MAX_ALIASED_NODES} values). Nothing was changed.`,
      );
  }
}

/** The one document of a YAML config, or a refusal (a stream of several is not one config). */
export function readYamlConfig(text: string): YamlFile {
  let file: YamlFile;
  try {
    file = readYaml(text);
  } catch (e) {
    if (e instanceof YamlRefused) throw refusal(e.problem);
    throw e;
  }
  if (file.docs.length > 1) {
    throw new KeyholdError('BadInput', `The file holds ${file.docs.length} YAML documents (--- between them); an MCP config is one. Nothing was changed.`);
  }
  return file;
}

/**
 * The data of a YAML config as JSON would hold it: aliases and `<<` merges resolved (within the
 * limits the scan keeps), a tagged scalar as a value that is no string, a pair whose key is a
 * collection left out. A key `__proto__` stays an own member, for the caller to refuse.
 */
export function parseYamlConfig(text: string): unknown {
  const file = readYamlConfig(text);
  const doc = file.docs[0];
  if (!doc) return {};
  const targets = aliasTargets(doc);
  let uses = 0;
  let aliased = 0;
  const plain = (start: unknown, throughAlias: boolean, depth: number): unknown => {
    if (depth > MAX_CONFIG_DEPTH) throw refusal({ kind: 'nesting' });
    let node = start;
    if (isAlias(node)) {
      if (++uses > MAX_ALIAS_USES) throw refusal({ kind: 'aliases' });
      node = targets.get(node);
    }
    const viaAlias = throughAlias || node !== start;
    if (viaAlias && ++aliased > MAX_ALIASED_NODES) throw refusal({ kind: 'aliases' });
    if (isScalar(node)) return stringScalar(node) || typeof node.value !== 'string' ? node.value : TAGGED;
    if (isSeq(node)) return node.items.map((item) => plain(item, viaAlias, depth + 1));
    if (!isMap(node)) return null;
    const out: Record<string, unknown> = {};
    const set = (key: string, value: unknown) => Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        const merged = plain(pair.value, true, depth + 1);
        // Keys written in the map itself win over merged ones, as YAML's merge says.
        for (const source of Array.isArray(merged) ? merged : [merged]) {
          if (source !== null && typeof source === 'object') for (const [k, v] of Object.entries(source)) if (!Object.hasOwn(out, k)) set(k, v);
        }
        continue;
      }
      const key = keyText(isAlias(pair.key) ? targets.get(pair.key) : pair.key);
      if (key !== undefined) set(key, plain(pair.value, viaAlias, depth + 1));
    }
    return out;
  };
  return plain(doc.contents, false, 0);
}

/** The node at a JSON-like path of a document (a list index as digits), through no alias. */
export function nodeAt(root: unknown, path: readonly string[]): YamlNode | null | undefined {
  let node = root;
  for (const step of path) {
    if (isAlias(node)) return null;
    if (isSeq(node)) node = node.items[Number(step)];
    else if (isMap(node)) node = node.items.find((p) => keyText(p.key) === step)?.value;
    else return undefined;
  }
  return isAlias(node) ? null : (node as YamlNode | undefined);
}
