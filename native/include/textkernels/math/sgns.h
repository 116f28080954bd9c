// Skip-gram / CBOW negative sampling per word2vec.c (tmikolov/word2vec @ 20c129a): the sigmoid
// table, its integer index constant, the LCG, subsampling and the unigram-table draw reproduce it to
// the bit (the dot products themselves are summed in SIMD order, not word2vec.c's sequential one).
// Shared by the CPU trainer (native/kernels/word2vec.cc) and the CUDA kernel (cuda/sgns.cu).
#pragma once

#include "textkernels/math/common.h"

namespace tk::sgns {

constexpr int kExpTableSize = 1000;  // EXP_TABLE_SIZE
constexpr int kMaxExp = 6;           // MAX_EXP
// word2vec.c writes EXP_TABLE_SIZE / MAX_EXP / 2 in int arithmetic: 1000/6/2 = 83, not 83.33.
constexpr int kExpIndexScale = kExpTableSize / kMaxExp / 2;
constexpr int64_t kUnigramTableSize = 100000000;  // 1e8
constexpr uint64_t kLcgMul = 25214903917ULL;

// next_random = next_random * 25214903917 + 11 (unsigned 64-bit wrap-around).
TK_HD uint64_t lcg_next(uint64_t r) { return r * kLcgMul + 11; }

// expTable[i] = e/(e+1), e = exp((i/1000*2-1)*6), with word2vec.c's float/double mix.
TK_HD float exp_table_entry(int i) {
  float x = (float(i) / float(kExpTableSize) * 2.0f - 1.0f) * float(kMaxExp);
  float e = float(exp(double(x)));
  return e / (e + 1.0f);
}

// Index into the table for kMaxExp > f > -kMaxExp.
TK_HD int exp_table_index(float f) { return int((f + float(kMaxExp)) * float(kExpIndexScale)); }

// The negative-sampling gradient scale for one (input, target) pair: g = (label - sigma(f)) * alpha,
// saturated outside [-6, 6] as word2vec.c does.
TK_HD float ns_gradient(float f, int label, float alpha, const float* exp_table) {
  if (f > float(kMaxExp)) return float(label - 1) * alpha;
  if (f < -float(kMaxExp)) return float(label) * alpha;
  return (float(label) - exp_table[exp_table_index(f)]) * alpha;
}

// -log(sigma(f)) for label 1, -log(1 - sigma(f)) for label 0, read from the same table (clamped at
// |f| = 6), so the loss costs one lookup. For progress reports only; word2vec.c has no loss.
TK_HD float ns_loss(float f, int label, const float* exp_table) {
  float lim = float(kMaxExp) - 1e-3f;
  float fc = f > lim ? lim : (f < -lim ? -lim : f);
  float s = exp_table[exp_table_index(fc)];
  float p = label ? s : 1.0f - s;
  return p > 1e-7f ? -float(log(double(p))) : 16.118f;
}

// Subsampling (word2vec.c L408-412): keep probability sqrt(s/phi) + s/phi with phi = cn/T, in
// word2vec.c's precisions: sample and T as float, the sqrt in double, `ran` stored as float.
TK_HD float subsample_ran(int64_t cn, float sample, int64_t train_words) {
  float st = sample * float(train_words);
  float q = float(cn) / st;
  return float((sqrt(double(q)) + 1.0) * double(st) / double(cn));
}
// True when the word is kept, given the LCG value already advanced for this decision (word2vec.c passes
// the value itself, so the draw is its low 16 bits; the trainer passes it shifted by 16 by default).
TK_HD bool subsample_keep(float ran, uint64_t r) { return !(ran < float(r & 0xFFFF) / 65536.0f); }

// Learning rate after word_count_actual words: linear decay over all epochs, floored at 1e-4 alpha0.
TK_HD float decayed_alpha(float alpha0, int64_t word_count_actual, int64_t iter, int64_t train_words) {
  float a = alpha0 * (1.0f - float(word_count_actual) / float(iter * train_words + 1));
  return a < alpha0 * 0.0001f ? alpha0 * 0.0001f : a;
}

// The unigram table of word2vec.c (1e8 ints) in compressed form: starts[w] is the first table slot
// of word w (runs are contiguous and increasing), and bucket_word[j] the word at slot j << shift.
// A lookup starts at its bucket's word and steps over the few runs that begin inside the bucket,
// so it returns table[idx] exactly with ~16 bytes per word instead of 400 MB.
struct UnigramTableView {
  const int64_t* starts;       // [V + 1], starts[V] = table size
  const int32_t* bucket_word;  // [(table_size >> shift) + 1]
  int32_t shift;
  int32_t vocab_size;
  int64_t table_size;
  // mod_magic(table_size) and mod_magic(vocab_size - 1), or 0 to divide: a 64-bit division costs
  // some 40 cycles on the CPUs we target, as much as the rest of a negative draw.
  uint64_t table_magic = 0;
  uint64_t vocab_magic = 0;
  // Optional [(table_size >> shift) + 1]: how far past its first slot bucket j holds bucket_word[j]
  // (the bucket size when the run covers it). A draw inside that span needs no look at starts, which
  // saves the second of two dependent cache misses; null falls back to the scan alone.
  const uint32_t* bucket_span = nullptr;
};

// floor((2^64 - 1) / d) for d >= 2 (0 for d < 2, meaning "use %").
TK_HD uint64_t mod_magic(uint64_t d) { return d < 2 ? 0 : ~uint64_t(0) / d; }

// x % d from m = mod_magic(d), exactly: m >= (2^64 - d) / d, so x m / 2^64 > x/d - x/2^64 > x/d - 1
// and q = mulhi(x, m) is floor(x/d) or one less for every 64-bit x; one correction suffices.
TK_HD uint64_t mod_by_magic(uint64_t x, uint64_t d, uint64_t m) {
  if (m == 0) return x % d;
#if defined(__CUDA_ARCH__)
  const uint64_t q = __umul64hi(x, m);
#else
  const uint64_t q = uint64_t((unsigned __int128)x * m >> 64);
#endif
  uint64_t r = x - q * d;
  return r >= d ? r - d : r;
}

TK_HD int32_t unigram_lookup(const UnigramTableView& t, int64_t idx) {
  const int64_t j = idx >> t.shift;
  int32_t w = t.bucket_word[j];
  if (t.bucket_span && uint64_t(idx - (j << t.shift)) < t.bucket_span[j]) return w;
  while (w + 1 < t.vocab_size && t.starts[w + 1] <= idx) ++w;
  return w;
}

// The table slot word2vec.c reads for LCG value r: (r >> 16) % size.
TK_HD int64_t table_slot(const UnigramTableView& t, uint64_t r) {
  return int64_t(mod_by_magic(r >> 16, uint64_t(t.table_size), t.table_magic));
}

// One negative draw as word2vec.c makes it from the already-advanced LCG value r: table slot
// (r >> 16) % size; `</s>` (0) is replaced by r % (V - 1) + 1. The caller skips (does not redraw)
// a target equal to the positive word.
TK_HD int32_t draw_negative(const UnigramTableView& t, uint64_t r) {
  int32_t target = unigram_lookup(t, table_slot(t, r));
  if (target == 0 && t.vocab_size > 1)
    target = int32_t(mod_by_magic(r, uint64_t(t.vocab_size - 1), t.vocab_magic) + 1);
  return target;
}

}  // namespace tk::sgns
