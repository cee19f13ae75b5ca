import { Transform } from 'node:stream';
import { encodedForms } from './mask-forms';

/** What a concealed secret looks like in the output (the `op run` convention, with our name). */
export const DEFAULT_MASK = '<concealed by keyhold>';

/**
 * Values shorter than this many characters are not masked. Masking "1", "dev" or "yes" would
 * rewrite ordinary output everywhere (breaking programs that parse it), and the pattern of masks
 * would give such a value away anyway; real credentials are far longer. Masking is a guard against
 * printing a secret by accident, not a boundary: a program can always transform what it prints.
 */
export const MIN_MASKED_LENGTH = 4;

export interface MaskOptions {
  mask?: string;
  minLength?: number;
  /** Also conceal each secret's base64, base64url, hex and URL-encoded forms (mask-forms.ts). Default: true. */
  encodedForms?: boolean;
}

/**
 * An Aho-Corasick automaton over the UTF-8 bytes of the secrets. Edges are kept as sibling lists in
 * typed arrays (most trie nodes of long secrets have one child), with a full table at the root.
 */
class Automaton {
  readonly depth: Int32Array;
  /** Length of the longest secret that ends at this node (0 if none). */
  readonly longest: Int32Array;
  private readonly fail: Int32Array;
  private readonly firstEdge: Int32Array;
  private readonly edgeByte: Uint8Array;
  private readonly edgeTo: Int32Array;
  private readonly edgeNext: Int32Array;
  private readonly root = new Int32Array(256);

  constructor(patterns: readonly Uint8Array[]) {
    const firstEdge = [-1];
    const depth = [0];
    const terminal = [0];
    const edgeByte: number[] = [];
    const edgeTo: number[] = [];
    const edgeNext: number[] = [];
    const find = (node: number, byte: number): number => {
      for (let e = firstEdge[node]!; e !== -1; e = edgeNext[e]!) if (edgeByte[e] === byte) return edgeTo[e]!;
      return -1;
    };
    for (const pattern of patterns) {
      let node = 0;
      for (const byte of pattern) {
        let next = find(node, byte);
        if (next === -1) {
          next = depth.length;
          depth.push(depth[node]! + 1);
          firstEdge.push(-1);
          terminal.push(0);
          edgeByte.push(byte);
          edgeTo.push(next);
          edgeNext.push(firstEdge[node]!);
          firstEdge[node] = edgeByte.length - 1;
        }
        node = next;
      }
      terminal[node] = 1;
    }

    const count = depth.length;
    this.depth = Int32Array.from(depth);
    this.firstEdge = Int32Array.from(firstEdge);
    this.edgeByte = Uint8Array.from(edgeByte);
    this.edgeTo = Int32Array.from(edgeTo);
    this.edgeNext = Int32Array.from(edgeNext);
    this.fail = new Int32Array(count);
    this.longest = new Int32Array(count);

    const queue: number[] = [];
    for (let e = this.firstEdge[0]!; e !== -1; e = this.edgeNext[e]!) {
      const child = this.edgeTo[e]!;
      this.root[this.edgeByte[e]!] = child;
      queue.push(child);
    }
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      this.longest[node] = terminal[node] ? this.depth[node]! : this.longest[this.fail[node]!]!;
      for (let e = this.firstEdge[node]!; e !== -1; e = this.edgeNext[e]!) {
        const child = this.edgeTo[e]!;
        this.fail[child] = this.step(this.fail[node]!, this.edgeByte[e]!);
        queue.push(child);
      }
    }
  }

  step(state: number, byte: number): number {
    for (let s = state; s !== 0; s = this.fail[s]!) {
      for (let e = this.firstEdge[s]!; e !== -1; e = this.edgeNext[e]!) if (this.edgeByte[e] === byte) return this.edgeTo[e]!;
    }
    return this.root[byte]!;
  }
}

/**
 * The set of secrets to conceal, compiled once; each output stream gets its own masker.
 *
 * Every byte covered by any occurrence of any secret is concealed; occurrences that overlap (or
 * one secret inside another) become a single mask, so no part of either leaks. Occurrences that
 * merely touch stay separate masks.
 */
export class SecretMask {
  readonly mask: Buffer;
  private readonly automaton: Automaton;
  readonly size: number;

  constructor(secrets: Iterable<string>, options: MaskOptions = {}) {
    const minLength = options.minLength ?? MIN_MASKED_LENGTH;
    this.mask = Buffer.from(options.mask ?? DEFAULT_MASK, 'utf8');
    const unique = new Set<string>();
    for (const secret of secrets) {
      if (secret.length > 0 && [...secret].length >= minLength) unique.add(secret);
    }
    this.size = unique.size;
    const patterns = new Set(unique);
    if (options.encodedForms ?? true) for (const secret of unique) for (const form of encodedForms(secret)) patterns.add(form);
    this.automaton = new Automaton([...patterns].map((s) => Buffer.from(s, 'utf8')));
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  createMasker(): StreamMasker {
    return new StreamMasker(this.automaton, this.mask);
  }

  createStream(): Transform {
    const masker = this.createMasker();
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const out = masker.write(chunk);
        callback(null, out.length > 0 ? out : undefined);
      },
      flush(callback) {
        const out = masker.end();
        callback(null, out.length > 0 ? out : undefined);
      },
    });
  }

  maskBytes(input: Uint8Array): Buffer {
    const masker = this.createMasker();
    return Buffer.concat([masker.write(input), masker.end()]);
  }

  maskText(input: string): string {
    return this.maskBytes(Buffer.from(input, 'utf8')).toString('utf8');
  }
}

/**
 * Masks one byte stream. It holds back only the bytes that could still be the start of a secret
 * (the automaton's current depth), so a prompt like "Password: " reaches the terminal at once.
 * Positions are absolute offsets in the stream.
 */
export class StreamMasker {
  private state = 0;
  /** Bytes consumed so far. */
  private consumed = 0;
  /** Output is decided for every byte before this position. */
  private emitted = 0;
  /** Unemitted bytes, starting at position `emitted`. */
  private held: Buffer = Buffer.alloc(0);
  /** End of the last mask already written; a later overlapping occurrence only extends it. */
  private coverEnd = 0;
  /** Concealed ranges not written yet: disjoint, sorted, as [start, end) pairs. */
  private pending: number[] = [];
  private ended = false;

  constructor(
    private readonly automaton: Automaton,
    private readonly mask: Buffer,
  ) {}

  write(chunk: Uint8Array): Buffer {
    if (this.ended) throw new Error('StreamMasker.write after end');
    if (chunk.length === 0) return Buffer.alloc(0);
    const { automaton } = this;
    const base = this.consumed;
    this.held = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, chunk]);
    let state = this.state;
    for (let i = 0; i < chunk.length; i++) {
      state = automaton.step(state, chunk[i]!);
      const length = automaton.longest[state]!;
      if (length > 0) this.conceal(base + i + 1 - length, base + i + 1);
    }
    this.state = state;
    this.consumed += chunk.length;
    // No occurrence can start before this point: the longest suffix that begins a secret is `depth` bytes.
    return this.emitUpTo(this.consumed - automaton.depth[state]!);
  }

  end(): Buffer {
    if (this.ended) return Buffer.alloc(0);
    this.ended = true;
    return this.emitUpTo(this.consumed);
  }

  private conceal(start: number, end: number): void {
    const pending = this.pending;
    // Occurrences are found in order of their end, so a new one can only swallow the latest ranges.
    while (pending.length > 0 && pending[pending.length - 1]! > start) {
      start = Math.min(start, pending[pending.length - 2]!);
      pending.length -= 2;
    }
    if (start < this.coverEnd) {
      this.skip(end);
    } else {
      pending.push(start, end);
    }
  }

  /** Extends the mask already written over bytes up to `end`, which are then dropped unseen. */
  private skip(end: number): void {
    if (end <= this.coverEnd) return;
    this.held = this.held.subarray(end - this.emitted);
    this.coverEnd = end;
    this.emitted = end;
  }

  private emitUpTo(safe: number): Buffer {
    const parts: Buffer[] = [];
    const pending = this.pending;
    let taken = 0;
    while (taken < pending.length && pending[taken]! < safe) {
      const start = pending[taken]!;
      const end = pending[taken + 1]!;
      if (start > this.emitted) parts.push(this.take(start));
      parts.push(this.mask);
      this.skip(end);
      taken += 2;
    }
    if (taken > 0) this.pending = pending.slice(taken);
    if (safe > this.emitted) parts.push(this.take(safe));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Emits held bytes as they are, up to `end`. */
  private take(end: number): Buffer {
    const out = this.held.subarray(0, end - this.emitted);
    this.held = this.held.subarray(end - this.emitted);
    this.emitted = end;
    return Buffer.from(out);
  }
}
