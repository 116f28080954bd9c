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
};

TK_HD int32_t unigram_lookup(const UnigramTableView& t, int64_t idx) {
  int32_t w = t.bucket_word[idx >> t.shift];
  while (w + 1 < t.vocab_size && t.starts[w + 1] <= idx) ++w;
  return w;
}

// One negative draw as word2vec.c makes it from the already-advanced LCG value r: table slot
// (r >> 16) % size; `</s>` (0) is replaced by r % (V - 1) + 1. The caller skips (does not redraw)
// a target equal to the positive word.
TK_HD int32_t draw_negative(const UnigramTableView& t, uint64_t r) {
  int32_t target = unigram_lookup(t, int64_t((r >> 16) % uint64_t(t.table_size)));
  if (target == 0 && t.vocab_size > 1) target = int32_t(r % uint64_t(t.vocab_size - 1) + 1);
  return target;
}

}  // namespace tk::sgns
