// word2vec.c-style training (skip-gram / CBOW with negative sampling) on native threads of its own,
// Hogwild (lock-free), plus the vocabulary pass over a file and the compressed unigram table.
// fastText models reuse the same loop with a subword list per word (see fasttext_hash.h).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "textkernels/math/sgns.h"

namespace tk {

// word2vec.c's unigram table (1e8 slots, power 0.75 by default), built with its step rule, stored
// as run starts plus a bucket index (math/sgns.h UnigramTableView).
struct UnigramTable {
  std::vector<int64_t> starts;        // [V + 1]
  std::vector<int32_t> bucket_word;   // [(table_size >> shift) + 1]
  std::vector<uint32_t> bucket_span;  // [(table_size >> shift) + 1] (UnigramTableView::bucket_span)
  int32_t shift = 0;
  int64_t table_size = 0;
  sgns::UnigramTableView view() const;
};
// counts: [V] word counts in vocabulary order (index 0 is </s>); V >= 1.
UnigramTable unigram_table_build(const double* counts, int64_t V, double power, int64_t table_size);

// Reads words as word2vec.c's ReadWord does: separators ' ', '\t', '\n'; '\r' dropped; each '\n'
// yields "</s>"; words longer than 99 bytes keep their first 98 bytes and their last byte. Unlike
// word2vec.c, a last word not followed by a newline is kept.
class WordReader {
 public:
  // Opens path at byte offset `begin`; ok() is false when the file cannot be opened.
  WordReader(const std::string& path, int64_t begin);
  ~WordReader();
  bool ok() const { return f_ != nullptr; }
  // Next word into `word` (NUL-terminated, length in *len); false at end of file.
  bool next(char* word, int* len);

 private:
  int getc_();
  void* f_ = nullptr;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  int pending_ = -1;
};
constexpr int kMaxWordBytes = 100;  // MAX_STRING

// The vocabulary pass: every distinct word with its count, "</s>" first, then in order of first
// appearance. Returns false (with *error set) when the file cannot be read.
struct WordCounts {
  std::vector<std::string> words;
  std::vector<int64_t> counts;
  int64_t total = 0;
};
bool count_words_file(WordCounts* out, const std::string& path, const std::atomic<int32_t>* cancel,
                      std::string* error);

// An open-addressing map from word bytes to vocabulary index (no allocation per lookup).
class WordIndex {
 public:
  explicit WordIndex(const std::vector<std::string>& words);
  int32_t find(const char* w, int len) const;  // -1 when absent

 private:
  // Looked up once per word read, every epoch: a slot holds the hash's high bits beside the id so a
  // probe of another word rarely touches its bytes, and the bytes sit in one array in id (frequency)
  // order, where the words that make up most of the text share a few cache lines.
  struct Slot {
    uint32_t tag;
    int32_t id;  // -1: empty
  };
  // The slot holding w, or the empty slot where the probe for w ends.
  uint64_t probe(const char* w, int len, uint64_t hash) const;
  std::vector<Slot> slots_;
  std::vector<char> bytes_;
  std::vector<uint64_t> offsets_;  // [V + 1] into bytes_
  uint64_t mask_ = 0;
};

struct TrainConfig {
  float* syn0 = nullptr;     // [input_rows, D] input vectors (words, then fastText buckets)
  float* syn1neg = nullptr;  // [V, D] output vectors
  int64_t D = 0, V = 0, input_rows = 0;
  const double* counts = nullptr;  // [V]
  // Subword lists (fastText): ids of word w are sub_indices[sub_indptr[w] .. sub_indptr[w+1]);
  // null for word2vec, where the list of w is {w}.
  const int32_t* sub_indptr = nullptr;
  const int32_t* sub_indices = nullptr;
  // The corpus: a file (read per thread from its own offset) or ids with 0 (</s>) ending sentences.
  std::string path;
  const WordIndex* index = nullptr;
  const int32_t* ids = nullptr;
  int64_t n_ids = 0;
  bool cbow = false;
  int window = 5, negative = 5, epochs = 5, threads = 1;
  float sample = 1e-3f, alpha = 0.025f, min_alpha = 0.0f;
  uint64_t seed = 1;
  // Draw the subsampling uniform from the LCG's low 16 bits, as word2vec.c does (its exact training);
  // otherwise from bits 16-31, as gensim does. The low bits of a power-of-two LCG have short periods
  // (bit k repeats every 2^(k+1) draws), and CBOW trained with them scores lower and varies more with
  // the seed (bench/RESULTS.md, word2vec).
  bool subsample_low_bits = false;
  int64_t train_words = 0;  // sum of counts (</s> included), as word2vec.c's train_words
  const UnigramTable* table = nullptr;
  const float* exp_table = nullptr;  // [kExpTableSize + 1]
  const int32_t* cancel = nullptr;   // nonzero: stop at the next check
};

struct TrainProgress {
  std::atomic<int64_t> word_count_actual{0};
  std::atomic<int64_t> pairs{0};
  std::atomic<double> loss_sum{0.0};
  std::atomic<int64_t> loss_count{0};
  std::atomic<float> alpha{0.0f};
};

// Runs cfg.threads std::threads to completion (or until *cfg.cancel). Blocking: call it from a
// thread of your own.
void sgns_train_cpu(const TrainConfig& cfg, TrainProgress* progress);

// word2vec.c InitNet: syn0[a*D+b] = ((r & 0xFFFF)/65536 - 0.5)/D * scale, r advanced per element
// from `seed` (word2vec.c: 1), a-major.
void sgns_init_vectors_cpu(float* syn0, int64_t rows, int64_t D, uint64_t seed, float scale);

// [V] exp table entries, the last one repeated as word2vec.c allocates EXP_TABLE_SIZE + 1.
std::vector<float> sgns_exp_table();

}  // namespace tk
