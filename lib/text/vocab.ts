// A vocabulary: tokens <-> integer ids, with special tokens first (ids 0..k-1), then the corpus's
// tokens by descending count (ties broken by first appearance, so builds are deterministic).
import { checkInt, typeError } from '../errors';

export interface VocabularyOptions {
  /** Special tokens given the first ids, in order (default ['<pad>', '<unk>']). */
  specials?: string[];
  /** The token that unknown words map to (default '<unk>' when it is among the specials). */
  unkToken?: string | null;
  minCount?: number;
  maxSize?: number;
}

export interface VocabularyJSON {
  tokens: string[];
  counts: number[];
  specials: string[];
  unkToken: string | null;
}

export class Vocabulary {
  readonly tokens: string[];
  readonly counts: number[];
  readonly specials: string[];
  readonly unkToken: string | null;
  private readonly ids = new Map<string, number>();

  constructor(tokens: string[], counts: number[], specials: string[], unkToken: string | null) {
    if (tokens.length !== counts.length) throw new RangeError('tokens and counts must have the same length');
    this.tokens = tokens;
    this.counts = counts;
    this.specials = specials;
    this.unkToken = unkToken;
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new RangeError(`duplicate token '${t}' in the vocabulary`);
      this.ids.set(t, i);
    });
    if (unkToken !== null && !this.ids.has(unkToken))
      throw new RangeError(`unkToken '${unkToken}' is not in the vocabulary`);
  }

  static build(documents: Iterable<readonly string[]>, opts: VocabularyOptions = {}): Vocabulary {
    const specials = opts.specials ?? ['<pad>', '<unk>'];
    const unkToken = opts.unkToken !== undefined ? opts.unkToken : specials.includes('<unk>') ? '<unk>' : null;
    const minCount = checkInt('minCount', opts.minCount ?? 1, 1);
    const maxSize = opts.maxSize === undefined ? Infinity : checkInt('maxSize', opts.maxSize, specials.length);
    const counts = new Map<string, number>();
    for (const doc of documents) {
      if (!Array.isArray(doc)) throw typeError('documents[i]', 'an array of tokens', doc);
      for (const tok of doc) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    }
    const order = [...counts.entries()].filter(([t, c]) => c >= minCount && !specials.includes(t));
    // Stable sort keeps first-appearance order among equal counts.
    order.sort((a, b) => b[1] - a[1]);
    const kept = order.slice(0, Math.max(0, maxSize - specials.length));
    return new Vocabulary(
      [...specials, ...kept.map(([t]) => t)],
      [...specials.map(() => 0), ...kept.map(([, c]) => c)],
      specials,
      unkToken,
    );
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of a token; unknown tokens map to unkToken's id, or -1 without one. */
  indexOf(token: string): number {
    const id = this.ids.get(token);
    if (id !== undefined) return id;
    return this.unkToken === null ? -1 : (this.ids.get(this.unkToken) as number);
  }

  tokenOf(id: number): string {
    checkInt('id', id, 0, this.size - 1);
    return this.tokens[id];
  }

  /** Token ids; unknown tokens are dropped when there is no unkToken. */
  encode(tokens: readonly string[]): Int32Array {
    const out: number[] = [];
    for (const t of tokens) {
      const id = this.indexOf(t);
      if (id >= 0) out.push(id);
    }
    return Int32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.tokenOf(id));
  }

  toJSON(): VocabularyJSON {
    return { tokens: this.tokens, counts: this.counts, specials: this.specials, unkToken: this.unkToken };
  }

  static fromJSON(json: VocabularyJSON): Vocabulary {
    if (!json || !Array.isArray(json.tokens) || !Array.isArray(json.counts)) {
      throw typeError('json', '{ tokens, counts, specials, unkToken }', json);
    }
    return new Vocabulary(json.tokens, json.counts, json.specials ?? [], json.unkToken ?? null);
  }
}
