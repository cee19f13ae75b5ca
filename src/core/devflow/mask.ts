import { Transform } from 'node:stream';
import { encodedForms, secretParts } from './mask-forms';

/** What a concealed secret looks like in the output (the `op run` convention, with our name). */
export const DEFAULT_MASK = '<concealed by keyhold>';

/**
 * Values shorter than this many characters are not masked. Masking "1", "dev" or "yes" would
 * rewrite ordinary output everywhere (breaking programs that parse it), and the pattern of masks
 * would give such a value away anyway; real credentials are far longer. The same holds for a part
 * of a value concealed on its own (a URL's password, mask-forms.ts). Masking is a guard against
 * printing a secret by accident, not a boundary: a program can always transform what it prints.
 */
export const MIN_MASKED_LENGTH = 4;

export interface MaskOptions {
  mask?: string;
  minLength?: number;
  /** Also conceal each secret's base64, base64url, hex and URL-encoded forms (mask-forms.ts). Default: true. */
  encodedForms?: boolean;
  /**
   * Let each masker write its output over the chunks it is given and return it in their memory,
   * which saves allocating (and faulting in) as much memory again: for a caller that hands every
   * chunk over and never reads it again, as `keyhold redact` does with its reads. Default: false.
   * maskBytes and maskText never write over their input.
   */
  overwriteInput?: boolean;
  /** More forms of each secret to conceal exactly as given (no forms of their own), besides those of mask-forms.ts. */
  moreForms?: (secret: string) => Iterable<string>;
}

/** Bytes in a gram of the skip table. */
const GRAM = 4;
/** At most this many leading bytes of each pattern go into the skip table (the skip distance is below it). */
const MAX_WINDOW = 32;
const SKIP_BITS = 18;
/** Inputs at least this long are scanned as two halves at once. */
const LANE_MIN = 4096;
const HASH = 0x9e3779b1;

const EMPTY = Buffer.alloc(0);
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
const NO_NEXT = 256;

/**
 * The patterns (the UTF-8 bytes of the secrets and their encoded forms), compiled for a scan that
 * skips over text no pattern can start in, then confirms each remaining candidate in a trie.
 *
 * Skipping (Wu-Manber): every pattern is at least `window` bytes long, so an occurrence starting at
 * p covers the window [p, p + window). A table indexed by a hash of 4 bytes says, for the gram that
 * ends at the window's last byte, how far the window can move before that gram could line up with
 * the same gram inside some pattern's first `window` bytes. Most grams of ordinary text are in no
 * pattern, and the window jumps `window - 3` bytes at a time; a hash collision only costs a check.
 *
 * Confirming: a trie of all patterns. Most nodes of long secrets have one child, kept in arrays
 * indexed by node (nodes of one pattern are numbered in a row, so a walk reads memory in order);
 * the root is a table, and the edges of the few nodes with more children are in a small
 * open-addressing hash table keyed by (node, byte). Walking it from a start gives the longest
 * pattern there, and tells when the input ended too early to know. A walk reads at most `longest`
 * bytes, so text made of one secret's beginning over and over costs that much per start; ordinary
 * text costs a small fraction of a table read per byte.
 */
class Patterns {
  /** Bytes the skip table looks at (the shortest pattern, at most MAX_WINDOW); 0 when a pattern is shorter than a gram. */
  readonly window: number;
  readonly skip = new Uint8Array(1 << SKIP_BITS);
  readonly count: number;
  /** Bytes in the longest pattern: no walk from a start reads further. */
  readonly longest: number;
  private readonly root = new Int32Array(256).fill(-1);
  /** Per node: 1 if a pattern ends there. */
  private readonly terminal: Uint8Array;
  /**
   * Per node: the byte to its only child, which is the next node (nodes of one pattern are numbered
   * in a row); -1 for none; NO_NEXT when its children are in the hash table instead.
   */
  private readonly onlyByte: Int16Array;
  private readonly edgeNode: Int32Array;
  private readonly edgeByte: Uint8Array;
  private readonly edgeTo: Int32Array;
  private readonly edgeBits: number;

  constructor(patterns: readonly string[]) {
    this.count = patterns.length;
    // All patterns in one buffer: one allocation, not one per pattern.
    const joined = patterns.join('');
    const encoded = Buffer.from(joined, 'utf8');
    const bytes = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
    // ASCII text (most secrets and all their encoded forms) has as many bytes as UTF-16 code units.
    const ascii = encoded.length === joined.length;
    const lengths = new Int32Array(patterns.length);
    const total = encoded.length;
    let shortest = Infinity;
    let longest = 0;
    for (let k = 0; k < patterns.length; k++) {
      const length = ascii ? patterns[k]!.length : Buffer.byteLength(patterns[k]!, 'utf8');
      lengths[k] = length;
      if (length < shortest) shortest = length;
      if (length > longest) longest = length;
    }
    this.longest = longest;
    this.terminal = new Uint8Array(total + 1);
    this.onlyByte = new Int16Array(total + 1).fill(-1);
    // Edges in the hash table: where two patterns part, and where a pattern extends another (at most two per pattern).
    this.edgeBits = Math.max(4, Math.ceil(Math.log2(4 * patterns.length + 4)));
    const slots = 1 << this.edgeBits;
    this.edgeNode = new Int32Array(slots).fill(-1);
    this.edgeByte = new Uint8Array(slots);
    this.edgeTo = new Int32Array(slots);

    let nodes = 1;
    for (let k = 0, start = 0; k < patterns.length; start += lengths[k]!, k++) {
      const end = start + lengths[k]!;
      let node = 0;
      let i = start;
      for (; i < end; i++) {
        const next = node === 0 ? this.root[bytes[i]!]! : this.child(node, bytes[i]!);
        if (next === -1) break;
        node = next;
      }
      if (i < end) {
        // The rest of the pattern is a new chain of nodes, each the only child of the one before.
        const first = nodes;
        nodes += end - i;
        this.addChild(node, bytes[i]!, first);
        this.onlyByte.set(bytes.subarray(i + 1, end), first);
        node = nodes - 1;
      }
      this.terminal[node] = 1;
    }

    this.window = patterns.length > 0 && shortest >= GRAM ? Math.min(shortest, MAX_WINDOW) : 0;
    const window = this.window;
    if (window === 0) return;
    const skip = this.skip;
    skip.fill(window - GRAM + 1);
    for (let k = 0, start = 0; k < patterns.length; start += lengths[k]!, k++) {
      for (let j = start + GRAM - 1, distance = window - GRAM; distance >= 0; j++, distance--) {
        const h = Math.imul(bytes[j - 3]! | (bytes[j - 2]! << 8) | (bytes[j - 1]! << 16) | (bytes[j]! << 24), HASH) >>> (32 - SKIP_BITS);
        if (distance < skip[h]!) skip[h] = distance;
      }
    }
  }

  private addChild(node: number, byte: number, to: number): void {
    if (node === 0) {
      this.root[byte] = to;
      return;
    }
    const only = this.onlyByte[node]!;
    if (only === -1 && to === node + 1) {
      this.onlyByte[node] = byte;
      return;
    }
    if (only !== NO_NEXT) {
      if (only !== -1) this.insertEdge(node, only, node + 1);
      this.onlyByte[node] = NO_NEXT;
    }
    this.insertEdge(node, byte, to);
  }

  private insertEdge(node: number, byte: number, to: number): void {
    const last = (1 << this.edgeBits) - 1;
    let s = Math.imul((node << 8) | byte, HASH) >>> (32 - this.edgeBits);
    while (this.edgeNode[s] !== -1) s = (s + 1) & last;
    this.edgeNode[s] = node;
    this.edgeByte[s] = byte;
    this.edgeTo[s] = to;
  }

  private child(node: number, byte: number): number {
    const only = this.onlyByte[node]!;
    if (only !== NO_NEXT) return only === byte ? node + 1 : -1;
    const last = (1 << this.edgeBits) - 1;
    for (let s = Math.imul((node << 8) | byte, HASH) >>> (32 - this.edgeBits); ; s = (s + 1) & last) {
      const n = this.edgeNode[s]!;
      if (n === -1) return -1;
      if (n === node && this.edgeByte[s] === byte) return this.edgeTo[s]!;
    }
  }

  /**
   * Pushes onto `out`, in order, every start below `limit` whose window fits in `data` and that the
   * skip table cannot rule out; returns the first start it did not look at (the caller walks the
   * trie from the few left before `limit`). Two windows move at once, one over each half of a large
   * input: each step waits on a table read, and the processor overlaps the two.
   */
  candidates(data: Uint8Array, limit: number, out: number[], laneB: number[]): number {
    const { window, skip } = this;
    const end = Math.min(limit, data.length - window + 1);
    if (end <= 0) return 0;
    const mid = end >= LANE_MIN ? end >> 1 : end;
    const shift = 32 - SKIP_BITS;
    // `a` and `b` are the last bytes of the two windows; a window's start is its last byte + 1 - window.
    let a = window - 1;
    let b = mid + window - 1;
    const aEnd = mid + window - 1;
    const bEnd = end + window - 1;
    while (a < aEnd && b < bEnd) {
      const da = skip[Math.imul(data[a - 3]! | (data[a - 2]! << 8) | (data[a - 1]! << 16) | (data[a]! << 24), HASH) >>> shift]!;
      const db = skip[Math.imul(data[b - 3]! | (data[b - 2]! << 8) | (data[b - 1]! << 16) | (data[b]! << 24), HASH) >>> shift]!;
      if (da !== 0) a += da;
      else out.push(a++ + 1 - window);
      if (db !== 0) b += db;
      else laneB.push(b++ + 1 - window);
    }
    while (a < aEnd) {
      const da = skip[Math.imul(data[a - 3]! | (data[a - 2]! << 8) | (data[a - 1]! << 16) | (data[a]! << 24), HASH) >>> shift]!;
      if (da !== 0) a += da;
      else out.push(a++ + 1 - window);
    }
    while (b < bEnd) {
      const db = skip[Math.imul(data[b - 3]! | (data[b - 2]! << 8) | (data[b - 1]! << 16) | (data[b]! << 24), HASH) >>> shift]!;
      if (db !== 0) b += db;
      else laneB.push(b++ + 1 - window);
    }
    for (let k = 0; k < laneB.length; k++) out.push(laneB[k]!);
    laneB.length = 0;
    return end;
  }

  /**
   * The length of the longest pattern that starts at `at` (0 if none), or -1 when `data` ends while
   * the bytes from `at` are still the start of a pattern and `final` is false (more input decides).
   */
  longestAt(data: Uint8Array, at: number, final: boolean): number {
    let node = this.root[data[at]!]!;
    if (node === -1) return 0;
    let best = this.terminal[node] === 1 ? 1 : 0;
    for (let i = at + 1; i < data.length; i++) {
      node = this.child(node, data[i]!);
      if (node === -1) return best;
      if (this.terminal[node] === 1) best = i + 1 - at;
    }
    return final ? best : -1;
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
  private readonly patterns: Patterns;
  readonly size: number;
  private readonly overwriteInput: boolean;

  constructor(secrets: Iterable<string>, options: MaskOptions = {}) {
    this.overwriteInput = options.overwriteInput ?? false;
    const minLength = options.minLength ?? MIN_MASKED_LENGTH;
    this.mask = Buffer.from(options.mask ?? DEFAULT_MASK, 'utf8');
    const longEnough = (secret: string) => secret.length > 0 && [...secret].length >= minLength;
    const unique = new Set<string>();
    for (const secret of secrets) if (longEnough(secret)) unique.add(secret);
    this.size = unique.size;
    // A value's parts that are secrets on their own (a URL's password) are concealed as values are.
    const concealed = new Set(unique);
    for (const secret of unique) for (const part of secretParts(secret)) if (longEnough(part)) concealed.add(part);
    const patterns = new Set(concealed);
    if (options.encodedForms ?? true) for (const secret of concealed) for (const form of encodedForms(secret)) patterns.add(form);
    if (options.moreForms) for (const secret of concealed) for (const form of options.moreForms(secret)) if (form.length > 0) patterns.add(form);
    this.patterns = new Patterns([...patterns]);
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  createMasker(): StreamMasker {
    return new StreamMasker(this.patterns, this.mask, this.overwriteInput);
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
    const masker = new StreamMasker(this.patterns, this.mask, false);
    return Buffer.concat([masker.write(input), masker.end()]);
  }

  maskText(input: string): string {
    return this.maskBytes(Buffer.from(input, 'utf8')).toString('utf8');
  }
}

/**
 * Masks one byte stream. Start positions are decided in order; it holds back only the bytes from
 * the first start that could still begin a secret (the bytes after it are a pattern's beginning),
 * so a prompt like "Password: " reaches the terminal at once. A mask is written as soon as its
 * start is certain; a later occurrence that overlaps it only swallows more bytes.
 */
export class StreamMasker {
  /** Undecided bytes: those from stream position `heldAt` on. */
  private held: Buffer = EMPTY;
  private heldAt = 0;
  /** Every byte before this stream position is written or concealed. */
  private emitted = 0;
  /** End of the last mask written: an occurrence starting before it extends it. */
  private coverEnd = 0;
  /** What to write, in order, as [start, end) pairs into the data being decided; a start of -1 is the mask. */
  private readonly ops: number[] = [];
  /** Starts the skip table let through, for the trie to confirm (reused). */
  private readonly candidates: number[] = [];
  private readonly laneB: number[] = [];
  private ended = false;

  constructor(
    private readonly patterns: Patterns,
    private readonly mask: Buffer,
    private readonly overwriteInput = false,
  ) {}

  /** The output for `chunk`: every byte that is decided, in a new buffer. */
  write(chunk: Uint8Array): Buffer {
    if (this.ended) throw new Error('StreamMasker.write after end');
    if (chunk.length === 0) return EMPTY;
    if (this.patterns.count === 0) return this.overwriteInput ? asBuffer(chunk) : Buffer.from(chunk);
    const held = this.held;
    let prefix: Buffer | undefined;
    let data = chunk;
    if (held.length > 0) {
      const span = this.patterns.longest + 1;
      if (chunk.length <= span) {
        data = Buffer.concat([held, chunk]);
      } else {
        // Decide the held starts on them and the start of the chunk (no walk reads more than `longest`
        // bytes, so all of them are decided), then the chunk in place: no copy of a large chunk.
        const bridge = Buffer.concat([held, chunk.subarray(0, span)]);
        this.decide(bridge, held.length, false);
        prefix = this.render(bridge, undefined, true);
        this.heldAt += held.length;
      }
    }
    const next = this.decide(data, data.length, false);
    this.held = next < data.length ? Buffer.from(data.subarray(next)) : EMPTY;
    const out = this.render(data, prefix, data !== chunk || this.overwriteInput);
    this.heldAt += next;
    return out;
  }

  /** The output for the bytes held back: the stream has ended, so no secret can complete any more. */
  end(): Buffer {
    if (this.ended) return EMPTY;
    this.ended = true;
    if (this.held.length === 0) return EMPTY;
    this.decide(this.held, this.held.length, true);
    const out = this.render(this.held, undefined, true);
    this.held = EMPTY;
    return out;
  }

  /**
   * Decides the starts in `data` (stream position `heldAt` on) below `limit`, in order, and queues
   * what to write for every byte that is then certain. Returns the first undecided start.
   */
  private decide(data: Uint8Array, limit: number, final: boolean): number {
    const { patterns, ops } = this;
    const base = this.heldAt;
    let emitted = this.emitted - base;
    let cover = this.coverEnd - base;
    const found = (at: number, length: number): void => {
      if (at < cover) {
        // Overlaps the mask already written: its bytes are dropped unseen.
        if (at + length > cover) cover = emitted = at + length;
        return;
      }
      if (at > emitted) ops.push(emitted, at);
      ops.push(-1, -1);
      cover = emitted = at + length;
    };

    let next = 0;
    let undecided = false;
    if (patterns.window > 0) {
      const candidates = this.candidates;
      const skipped = patterns.candidates(data, limit, candidates, this.laneB);
      for (let k = 0; k < candidates.length; k++) {
        const at = candidates[k]!;
        const length = patterns.longestAt(data, at, final);
        if (length === -1) {
          next = at;
          undecided = true;
          break;
        }
        if (length > 0) found(at, length);
      }
      candidates.length = 0;
      if (!undecided) next = skipped;
    }
    if (!undecided) {
      for (; next < limit; next++) {
        const length = patterns.longestAt(data, next, final);
        if (length === -1) break;
        if (length > 0) found(next, length);
      }
    }

    if (next > emitted) {
      ops.push(emitted, next);
      emitted = next;
    }
    this.emitted = base + emitted;
    this.coverEnd = base + cover;
    return next;
  }

  /** The queued output after `prefix`: in the memory of `data` when `mine` and it fits, else in a new buffer. */
  private render(data: Uint8Array, prefix: Buffer | undefined, mine: boolean): Buffer {
    const { ops, mask } = this;
    let total = prefix?.length ?? 0;
    for (let i = 0; i < ops.length; i += 2) total += ops[i] === -1 ? mask.length : ops[i + 1]! - ops[i]!;
    if (total === 0) {
      ops.length = 0;
      return EMPTY;
    }
    const out = mine && total <= data.length ? this.renderInPlace(data, prefix, total) : this.renderNew(data, prefix, total);
    ops.length = 0;
    return out;
  }

  private renderNew(data: Uint8Array, prefix: Buffer | undefined, total: number): Buffer {
    const { ops, mask } = this;
    const out = Buffer.allocUnsafe(total);
    let at = prefix ? prefix.copy(out, 0) : 0;
    const source = asBuffer(data);
    for (let i = 0; i < ops.length; i += 2) {
      at += ops[i] === -1 ? mask.copy(out, at) : source.copy(out, at, ops[i], ops[i + 1]);
    }
    return out;
  }

  /**
   * Moves the kept ranges of `data` to their places in the output, within `data`, so that no move
   * overwrites bytes another has still to read: those moving right go first, the last first; then
   * those moving left, the first first (a range moving right lands after every range before it has
   * ended, and one moving left lands before every range after it starts). Masks and the prefix
   * replace nothing anyone reads, so they go in last.
   */
  private renderInPlace(data: Uint8Array, prefix: Buffer | undefined, total: number): Buffer {
    const { ops, mask } = this;
    const start = prefix?.length ?? 0;
    let at = total;
    for (let i = ops.length - 2; i >= 0; i -= 2) {
      if (ops[i] === -1) {
        at -= mask.length;
        continue;
      }
      at -= ops[i + 1]! - ops[i]!;
      if (at > ops[i]!) data.copyWithin(at, ops[i]!, ops[i + 1]!);
    }
    at = start;
    for (let i = 0; i < ops.length; i += 2) {
      if (ops[i] === -1) {
        at += mask.length;
        continue;
      }
      if (at < ops[i]!) data.copyWithin(at, ops[i]!, ops[i + 1]!);
      at += ops[i + 1]! - ops[i]!;
    }
    at = start;
    for (let i = 0; i < ops.length; i += 2) {
      if (ops[i] === -1) {
        data.set(mask, at);
        at += mask.length;
      } else {
        at += ops[i + 1]! - ops[i]!;
      }
    }
    if (prefix) data.set(prefix, 0);
    return asBuffer(data).subarray(0, total);
  }
}
