// word2vec.c / fastText reproduction on known inputs: unigram table, subsampling, sigmoid table,
// LCG draws, FNV-1a hashing and n-grams. Expected values are computed here from the reference
// algorithms (tmikolov/word2vec word2vec.c, facebookresearch/fastText dictionary.cc), independently
// of the native code.
import { native } from '../lib/native';
import '../lib/embeddings/native';
import * as tk from '../lib';

const { fastTextHash, fastTextNgrams, sortVocabulary } = tk.embeddings;

// word2vec.c InitUnigramTable, literally (double d1, `a / (double)table_size > d1`), recording the
// first slot of each word instead of storing the table.
function referenceStarts(counts: number[], tableSize: number, power = 0.75): number[] {
  const V = counts.length;
  let z = 0;
  for (let a = 0; a < V; a++) z += Math.pow(counts[a], power);
  const starts = new Array(V + 1).fill(tableSize);
  let i = 0;
  let d1 = Math.pow(counts[i], power) / z;
  starts[0] = 0;
  let prev = 0;
  for (let a = 0; a < tableSize; a++) {
    if (i !== prev) {
      starts[i] = a;
      prev = i;
    }
    // table[a] = i
    if (a / tableSize > d1) {
      i++;
      d1 += Math.pow(counts[i] ?? 0, power) / z;
    }
    if (i >= V) i = V - 1;
  }
  return starts;
}

function tableAt(starts: number[], slot: number): number {
  let w = 0;
  while (w + 1 < starts.length - 1 && starts[w + 1] <= slot) w++;
  return w;
}

const MASK64 = (1n << 64n) - 1n;
const lcg = (r: bigint): bigint => (r * 25214903917n + 11n) & MASK64;

describe('word2vec.c unigram table', () => {
  it('matches InitUnigramTable on a small vocabulary at the full 1e8 size', () => {
    const counts = [120, 5000, 2300, 2300, 800, 40, 7, 5, 5, 5];
    const ref = referenceStarts(counts, 1e8);
    const got = Array.from(native.w2vUnigramStarts(Float64Array.from(counts), 0.75, 1e8));
    expect(got).toEqual(ref);
    // Proportions follow count^0.75 / Z to within a slot or two.
    const z = counts.reduce((s, c) => s + c ** 0.75, 0);
    for (let w = 0; w < counts.length; w++) {
      expect(Math.abs((got[w + 1] - got[w]) / 1e8 - counts[w] ** 0.75 / z)).toBeLessThan(3e-8);
    }
  });

  it('matches the step rule on random vocabularies and small tables (runs of one slot, clamping at V-1)', () => {
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let t = 0; t < 40; t++) {
      const V = 1 + Math.floor(rnd() * 30);
      const counts = Array.from({ length: V }, () => 1 + Math.floor(rnd() ** 3 * 1000));
      const size = [7, 50, 1000, 4096][t % 4];
      const power = [0.75, 0.5, 1, 0][t % 4];
      expect(Array.from(native.w2vUnigramStarts(Float64Array.from(counts), power, size))).toEqual(
        referenceStarts(counts, size, power),
      );
    }
  });

  it('looks up table slots and draws negatives as word2vec.c does from the LCG', () => {
    const counts = [300, 9000, 4000, 700, 700, 65, 12, 5];
    const size = 1e8;
    const ref = referenceStarts(counts, size);
    const slots: number[] = [];
    const expected: number[] = [];
    let r = 1n;
    for (let k = 0; k < 2000; k++) {
      r = lcg(r);
      const slot = Number((r >> 16n) % BigInt(size));
      slots.push(slot);
      expected.push(tableAt(ref, slot));
    }
    // Boundary slots of every run, where an off-by-one would show.
    for (let w = 1; w < counts.length; w++) {
      slots.push(ref[w] - 1, ref[w]);
      expected.push(tableAt(ref, ref[w] - 1), tableAt(ref, ref[w]));
    }
    const out = new Int32Array(slots.length);
    native.w2vUnigramLookup(out, Float64Array.from(counts), 0.75, size, Float64Array.from(slots));
    expect(Array.from(out)).toEqual(expected);

    // Draws: table[(r >> 16) % 1e8], with </s> (0) replaced by r % (V - 1) + 1.
    const rs: bigint[] = [];
    r = 99n;
    for (let k = 0; k < 300; k++) rs.push((r = lcg(r)) >> 11n); // keep within 2^53 for the Float64 encoding
    rs.push(BigInt(ref[1] - 1) << 16n); // a slot inside </s>'s run
    const drawOut = new Int32Array(rs.length);
    native.w2vUnigramLookup(
      drawOut,
      Float64Array.from(counts),
      0.75,
      size,
      Float64Array.from(rs.map((x) => -Number(x) - 1)),
    );
    const drawExpected = rs.map((x) => {
      let t = tableAt(ref, Number((x >> 16n) % BigInt(size)));
      if (t === 0) t = Number(x % BigInt(counts.length - 1)) + 1;
      return t;
    });
    expect(Array.from(drawOut)).toEqual(drawExpected);
    expect(drawExpected[drawExpected.length - 1]).not.toBe(0);
  });

  it('draws negatives over the full 64-bit LCG range exactly as word2vec.c (the modulo without division)', () => {
    // Table sizes with and without a power of two, vocabularies whose V - 1 is 1 (plain %), a power of
    // two, or neither; the LCG's values cover the whole 64-bit range, high bits included.
    for (const [counts, size] of [
      [[300, 9000, 4000, 700, 700, 65, 12, 5], 1e8],
      [[300, 9000, 4000, 700, 700, 65, 12, 5], 4096],
      [[5, 40, 7, 7, 1], 1000],
      [[50, 3], 7],
      [[9, 4, 4], 1 << 20],
    ] as [number[], number][]) {
      const ref = referenceStarts(counts, size);
      const n = 5000;
      const out = new Int32Array(n);
      const seed = 123456789;
      native.w2vDrawNegatives(out, Float64Array.from(counts), 0.75, size, seed);
      let r = BigInt(seed);
      let high = 0;
      const expected: number[] = [];
      for (let k = 0; k < n; k++) {
        r = lcg(r);
        if (r >> 63n) high++;
        let t = tableAt(ref, Number((r >> 16n) % BigInt(size)));
        if (t === 0 && counts.length > 1) t = Number(r % BigInt(counts.length - 1)) + 1;
        expected.push(t);
      }
      expect(high).toBeGreaterThan(n / 4);
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('draws negatives in proportion to count^0.75', () => {
    const counts = [50, 1000, 300, 300, 100, 20];
    const n = 200000;
    const slots = new Float64Array(n);
    let r = 5n;
    for (let k = 0; k < n; k++) slots[k] = Number((r = lcg(r)) % (1n << 52n)) * -1 - 1;
    const out = new Int32Array(n);
    native.w2vUnigramLookup(out, Float64Array.from(counts), 0.75, 1e8, slots);
    const freq = new Array(counts.length).fill(0);
    for (const w of out) freq[w]++;
    expect(freq[0]).toBe(0); // </s> is never a negative
    // </s>'s share of the table goes to words 1..V-1 uniformly.
    const z = counts.reduce((s, c) => s + c ** 0.75, 0);
    for (let w = 1; w < counts.length; w++) {
      const p = counts[w] ** 0.75 / z + counts[0] ** 0.75 / z / (counts.length - 1);
      expect(Math.abs(freq[w] / n - p)).toBeLessThan(0.005);
    }
  });
});

describe('word2vec.c subsampling, sigmoid table and learning rate', () => {
  it('computes the keep probability sqrt(s/phi) + s/phi in word2vec.c precisions', () => {
    const f = Math.fround;
    for (const [cn, sample, T] of [
      [1, 1e-3, 1000000],
      [60000, 1e-3, 1161192],
      [5, 1e-4, 17005207],
      [1000000, 1e-5, 1000000],
      [123456, 1e-3, 98765432],
    ]) {
      const st = f(f(sample) * f(T));
      const q = f(f(cn) / st);
      const ref = f(((Math.sqrt(q) + 1) * st) / cn);
      expect(native.w2vSubsampleRan(cn, sample, T)).toBe(ref);
      const phi = cn / T;
      expect(ref).toBeCloseTo(Math.sqrt(sample / phi) + sample / phi, 4);
    }
  });

  it('builds the 1000-entry sigmoid table over [-6, 6]', () => {
    const t = native.w2vExpTable();
    expect(t.length).toBe(1000);
    for (const i of [0, 1, 83, 499, 500, 917, 999]) {
      const f = Math.fround;
      const x = f(f(f(f(i / 1000) * 2) - 1) * 6); // every step in float, as word2vec.c's `real`
      const e = f(Math.exp(x));
      expect(t[i]).toBe(f(e / f(e + 1)));
    }
    // The table index is (int)((f + 6) * 83): integer 1000/6/2, so f = 5.99 maps to 995, not 999.
    expect(Math.floor((5.99 + 6) * 83)).toBe(995);
  });

  it('sorts the vocabulary as SortVocab: </s> first, by count, below minCount dropped', () => {
    const v = sortVocabulary(['</s>', 'b', 'a', 'c', 'd', 'e'], [3, 4, 9, 4, 1, 5], 2);
    expect(v.words).toEqual(['</s>', 'a', 'e', 'b', 'c']);
    expect(Array.from(v.counts)).toEqual([3, 9, 5, 4, 4]);
  });
});

// FNV-1a 32-bit as fastText's Dictionary::hash, from its definition: each byte is converted to
// int8_t and then to uint32_t (sign extension) before the xor.
function fnv1aSignExtended(s: string): number {
  let h = 2166136261;
  for (const b of Buffer.from(s, 'utf8')) {
    const ext = b >= 0x80 ? (b | 0xffffff00) >>> 0 : b;
    h = (h ^ ext) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

describe('fastText hashing and subwords', () => {
  it('hashes with FNV-1a over sign-extended bytes', () => {
    for (const s of ['', 'a', 'where', '<wh', 're>', 'é', '<été>', '日本語', 'naïve', '\u{1F600}']) {
      expect(fastTextHash(s)).toBe(fnv1aSignExtended(s));
    }
    // FNV-1a offset basis and a published test vector ("a" -> 0xe40c292c).
    expect(fastTextHash('')).toBe(0x811c9dc5);
    expect(fastTextHash('a')).toBe(0xe40c292c);
    // Sign extension matters for non-ASCII: plain (unsigned) FNV-1a gives a different value.
    let plain = 2166136261;
    for (const b of Buffer.from('é', 'utf8')) plain = Math.imul((plain ^ b) >>> 0, 16777619) >>> 0;
    expect(fastTextHash('é')).not.toBe(plain);
  });

  it('lists the n-grams of "where" (the fastText paper example) for n in [3, 6]', () => {
    expect(fastTextNgrams('where', 3, 6)).toEqual([
      '<wh',
      '<whe',
      '<wher',
      '<where',
      'whe',
      'wher',
      'where',
      'where>',
      'her',
      'here',
      'here>',
      'ere',
      'ere>',
      're>',
    ]);
    // n = 3 alone: the paper's <wh, whe, her, ere, re>
    expect(fastTextNgrams('where', 3, 3)).toEqual(['<wh', 'whe', 'her', 'ere', 're>']);
  });

  it('never emits a 1-gram at a boundary and counts UTF-8 code points', () => {
    expect(fastTextNgrams('ab', 1, 2)).toEqual(['<a', 'a', 'ab', 'b', 'b>']);
    expect(fastTextNgrams('été', 1, 2)).toEqual(['<é', 'é', 'ét', 't', 'té', 'é', 'é>']);
    expect(fastTextNgrams('日本', 3, 3)).toEqual(['<日本', '日本>']);
    expect(fastTextNgrams('where', 0, 0)).toEqual([]);
  });

  it('maps n-grams to nwords + hash % bucket, after the word id for vocabulary words', () => {
    const bucket = 2000000;
    const words = ['</s>', 'where', 'été'];
    const { indptr, indices } = native.ftSubwords(words, 3, 6, bucket, 3, true);
    expect(Array.from(indptr.slice(0, 2))).toEqual([0, 1]); // </s>: its own id only
    for (let w = 1; w < words.length; w++) {
      const expected = [w, ...fastTextNgrams(words[w], 3, 6).map((g) => 3 + (fnv1aSignExtended(g) % bucket))];
      expect(Array.from(indices.slice(indptr[w], indptr[w + 1]))).toEqual(expected);
    }
  });
});
