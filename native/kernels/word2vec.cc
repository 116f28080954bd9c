#include "kernels/word2vec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "kernels/cpu_features.h"
#include "kernels/vec.h"

namespace tk {

namespace isa {
void sgns_fused_update_avx2(float g, const float* h, float* out, float* neu1e, int64_t n);
void sgns_add_avx2(const float* x, float* y, int64_t n);
void sgns_mean_rows_avx2(float* out, const float* base, const int32_t* rows, int n, int64_t D);
}  // namespace isa

namespace {
// Inner loops, chosen once per training thread: the update is a few hundred floats, so a dispatch
// per call would cost as much as the SIMD saves.
struct SgnsOps {
  float (*dot)(const float*, const float*, int64_t);
  void (*fused)(float g, const float* h, float* out, float* neu1e, int64_t n);
  void (*add)(const float* x, float* y, int64_t n);
  void (*mean_rows)(float* out, const float* base, const int32_t* rows, int n, int64_t D);
};
void fused_generic(float g, const float* h, float* out, float* neu1e, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float o = out[i];
    neu1e[i] += g * o;
    out[i] = o + g * h[i];
  }
}
void add_generic(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
void mean_rows_generic(float* out, const float* base, const int32_t* rows, int n, int64_t D) {
  std::fill(out, out + D, 0.0f);
  for (int j = 0; j < n; ++j) add_generic(base + int64_t(rows[j]) * D, out, D);
  for (int64_t c = 0; c < D; ++c) out[c] /= float(n);
}
SgnsOps sgns_ops() {
#if defined(TK_HAVE_X86_KERNELS)
  if (simd_level() >= SimdLevel::kAvx2)
    return {isa::vec_dot_avx2, isa::sgns_fused_update_avx2, isa::sgns_add_avx2, isa::sgns_mean_rows_avx2};
#endif
  return {vec_dot, fused_generic, add_generic, mean_rows_generic};
}
}  // namespace

sgns::UnigramTableView UnigramTable::view() const {
  sgns::UnigramTableView v;
  v.starts = starts.data();
  v.bucket_word = bucket_word.data();
  v.shift = shift;
  v.vocab_size = int32_t(starts.size() - 1);
  v.table_size = table_size;
  v.table_magic = sgns::mod_magic(uint64_t(table_size));
  v.bucket_span = bucket_span.data();
  v.vocab_magic = v.vocab_size > 1 ? sgns::mod_magic(uint64_t(v.vocab_size - 1)) : 0;
  return v;
}

UnigramTable unigram_table_build(const double* counts, int64_t V, double power, int64_t table_size) {
  UnigramTable t;
  t.table_size = table_size;
  t.starts.assign(size_t(V + 1), table_size);
  double train_words_pow = 0;
  for (int64_t a = 0; a < V; ++a) train_words_pow += std::pow(counts[a], power);
  // Replays InitUnigramTable's loop `table[a] = i; if (a / (double)size > d1) { i++; d1 += ... }`
  // run by run: the run of word i ends at the first slot a with a/size > d1, found from
  // floor(d1*size) and corrected with the exact predicate, so no 1e8-step loop is needed.
  auto beyond = [&](int64_t a, double d1) { return double(a) / double(table_size) > d1; };
  int64_t i = 0, a = 0;
  double d1 = std::pow(counts[0], power) / train_words_pow;
  t.starts[0] = 0;
  while (a < table_size && i < V - 1) {
    int64_t guess = int64_t(std::floor(d1 * double(table_size)));
    if (guess < a) guess = a;
    while (guess > a && beyond(guess - 1, d1)) --guess;
    while (guess < table_size && !beyond(guess, d1)) ++guess;
    if (guess >= table_size) break;  // word i runs to the end of the table
    // Slot `guess` still holds i; i + 1 starts at guess + 1.
    ++i;
    d1 += std::pow(counts[i], power) / train_words_pow;
    a = guess + 1;
    t.starts[size_t(i)] = std::min(a, table_size);
  }
  for (int64_t w = i + 1; w <= V; ++w) t.starts[size_t(w)] = table_size;
  // About four buckets per word keeps the scan in unigram_lookup to a step or two on average.
  int32_t shift = 0;
  while (shift < 40 && (table_size >> (shift + 1)) >= 4 * V) ++shift;
  t.shift = shift;
  int64_t nb = (table_size >> shift) + 1;
  t.bucket_word.resize(size_t(nb));
  int64_t w = 0;
  for (int64_t j = 0; j < nb; ++j) {
    int64_t idx = std::min(j << shift, table_size - 1);
    while (w + 1 < V && t.starts[size_t(w + 1)] <= idx) ++w;
    t.bucket_word[size_t(j)] = int32_t(w);
  }
  t.bucket_span.resize(size_t(nb));
  for (int64_t j = 0; j < nb; ++j) {
    const int64_t first = j << shift;
    const int64_t end = t.starts[size_t(t.bucket_word[size_t(j)]) + 1];
    const int64_t span = std::min(end - first, int64_t(1) << std::min(shift, 32));
    t.bucket_span[size_t(j)] = uint32_t(std::max<int64_t>(0, std::min<int64_t>(span, UINT32_MAX)));
  }
  return t;
}

WordReader::WordReader(const std::string& path, int64_t begin) : buf_(1 << 16) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f && begin > 0 && fseeko(f, off_t(begin), SEEK_SET) != 0) {
    std::fclose(f);
    f = nullptr;
  }
  f_ = f;
}

WordReader::~WordReader() {
  if (f_) std::fclose(static_cast<FILE*>(f_));
}

int WordReader::getc_() {
  if (pending_ >= 0) {
    int c = pending_;
    pending_ = -1;
    return c;
  }
  if (pos_ == end_) {
    end_ = std::fread(buf_.data(), 1, buf_.size(), static_cast<FILE*>(f_));
    pos_ = 0;
    if (end_ == 0) return EOF;
  }
  return static_cast<unsigned char>(buf_[pos_++]);
}

bool WordReader::next(char* word, int* len) {
  int a = 0;
  while (true) {
    int ch = getc_();
    if (ch == EOF) break;
    if (ch == 13) continue;
    if (ch == ' ' || ch == '\t' || ch == '\n') {
      if (a > 0) {
        if (ch == '\n') pending_ = ch;  // ungetc: the newline becomes the next "</s>"
        break;
      }
      if (ch == '\n') {
        std::memcpy(word, "</s>", 5);
        *len = 4;
        return true;
      }
      continue;
    }
    word[a] = char(ch);
    ++a;
    if (a >= kMaxWordBytes - 1) --a;  // truncation as word2vec.c: the last byte keeps overwriting
  }
  word[a] = 0;
  *len = a;
  return a > 0;
}

bool count_words_file(WordCounts* out, const std::string& path, const std::atomic<int32_t>* cancel,
                      std::string* error) {
  WordReader r(path, 0);
  if (!r.ok()) {
    *error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::unordered_map<std::string, int32_t> ids;
  out->words.assign(1, "</s>");
  out->counts.assign(1, 0);
  ids.emplace("</s>", 0);
  char word[kMaxWordBytes];
  int len = 0;
  int64_t n = 0;
  while (r.next(word, &len)) {
    if ((++n & 0xFFFFF) == 0 && cancel && cancel->load(std::memory_order_relaxed)) break;
    auto it = ids.find(std::string(word, size_t(len)));
    if (it == ids.end()) {
      ids.emplace(std::string(word, size_t(len)), int32_t(out->words.size()));
      out->words.emplace_back(word, size_t(len));
      out->counts.push_back(1);
    } else {
      ++out->counts[size_t(it->second)];
    }
  }
  out->total = n;
  return true;
}

namespace {
uint64_t hash_bytes(const char* w, int len) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < len; ++i) h = (h ^ uint8_t(w[i])) * 1099511628211ULL;
  return h;
}
}  // namespace

WordIndex::WordIndex(const std::vector<std::string>& words) {
  uint64_t cap = 16;
  while (cap < 2 * words.size() + 1) cap <<= 1;
  mask_ = cap - 1;
  slots_.assign(size_t(cap), Slot{0, -1});
  offsets_.reserve(words.size() + 1);
  offsets_.push_back(0);
  for (const std::string& w : words) {
    bytes_.insert(bytes_.end(), w.begin(), w.end());
    offsets_.push_back(uint64_t(bytes_.size()));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    const char* w = words[i].data();
    const int len = int(words[i].size());
    const uint64_t hash = hash_bytes(w, len);
    const uint64_t h = probe(w, len, hash);
    if (slots_[h].id < 0)
      slots_[h] = Slot{uint32_t(hash >> 32), int32_t(i)};  // a duplicate keeps its first id
  }
}

uint64_t WordIndex::probe(const char* w, int len, uint64_t hash) const {
  const uint32_t tag = uint32_t(hash >> 32);
  uint64_t h = hash & mask_;
  while (true) {
    const Slot s = slots_[h];
    if (s.id < 0) return h;
    if (s.tag == tag) {
      const uint64_t o = offsets_[size_t(s.id)];
      if (offsets_[size_t(s.id) + 1] - o == uint64_t(len) &&
          std::memcmp(bytes_.data() + o, w, size_t(len)) == 0)
        return h;
    }
    h = (h + 1) & mask_;
  }
}

int32_t WordIndex::find(const char* w, int len) const { return slots_[probe(w, len, hash_bytes(w, len))].id; }

std::vector<float> sgns_exp_table() {
  std::vector<float> t(sgns::kExpTableSize + 1);
  for (int i = 0; i < sgns::kExpTableSize; ++i) t[size_t(i)] = sgns::exp_table_entry(i);
  t[sgns::kExpTableSize] = t[sgns::kExpTableSize - 1];
  return t;
}

void sgns_init_vectors_cpu(float* syn0, int64_t rows, int64_t D, uint64_t seed, float scale) {
  uint64_t r = seed;
  for (int64_t a = 0; a < rows; ++a)
    for (int64_t b = 0; b < D; ++b) {
      r = sgns::lcg_next(r);
      syn0[a * D + b] = (((r & 0xFFFF) / 65536.0f) - 0.5f) / float(D) * scale;
    }
}

namespace {

constexpr int kMaxSentence = 1000;  // MAX_SENTENCE_LENGTH

struct FileSource {
  const TrainConfig& cfg;
  int64_t begin;
  WordReader* reader = nullptr;
  char word[kMaxWordBytes];
  FileSource(const TrainConfig& c, int64_t b) : cfg(c), begin(b) {}
  ~FileSource() { delete reader; }
  bool reset() {
    delete reader;
    reader = new WordReader(cfg.path, begin);
    return reader->ok();
  }
  // Word index, -1 for an out-of-vocabulary word; *eof at the end of the file.
  int32_t next(bool* eof) {
    int len = 0;
    if (!reader->next(word, &len)) {
      *eof = true;
      return -1;
    }
    return cfg.index->find(word, len);
  }
};

struct IdsSource {
  const TrainConfig& cfg;
  int64_t begin, pos = 0;
  IdsSource(const TrainConfig& c, int64_t b) : cfg(c), begin(b) {}
  bool reset() {
    pos = begin;
    return true;
  }
  int32_t next(bool* eof) {
    if (pos >= cfg.n_ids) {
      *eof = true;
      return -1;
    }
    return cfg.ids[pos++];
  }
};

void atomic_add(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

bool cancelled(const TrainConfig& cfg) {
  return cfg.cancel && __atomic_load_n(cfg.cancel, __ATOMIC_RELAXED) != 0;
}

template <class Source>
void train_thread(const TrainConfig& cfg, TrainProgress* prog, int id) {
  const int64_t D = cfg.D;
  const sgns::UnigramTableView table = cfg.table->view();
  const float* exp_table = cfg.exp_table;
  const SgnsOps ops = sgns_ops();
  float* syn0 = cfg.syn0;
  float* syn1 = cfg.syn1neg;
  std::vector<float> neu1(static_cast<size_t>(D)), neu1e(static_cast<size_t>(D));
  std::vector<int32_t> inputs;
  std::vector<float> ran(static_cast<size_t>(cfg.V));
  for (int64_t w = 0; w < cfg.V; ++w)
    ran[size_t(w)] =
        cfg.sample > 0 ? sgns::subsample_ran(int64_t(cfg.counts[w]), cfg.sample, cfg.train_words) : 2.0f;
  int64_t begin = cfg.ids ? cfg.n_ids / cfg.threads * id : 0;
  if (!cfg.ids) {
    FILE* f = std::fopen(cfg.path.c_str(), "rb");
    if (f) {
      fseeko(f, 0, SEEK_END);
      begin = int64_t(ftello(f)) / cfg.threads * id;
      std::fclose(f);
    }
  }
  Source src(cfg, begin);
  if (!src.reset()) return;
  // seed 1 gives word2vec.c's thread seeds (the thread id).
  uint64_t next_random = uint64_t(id) + (cfg.seed - 1) * 0x9E3779B97F4A7C15ULL;
  int64_t word_count = 0, last_word_count = 0, local_iter = cfg.epochs;
  int32_t sen[kMaxSentence + 1];
  int64_t sentence_length = 0, sentence_position = 0;
  bool eof = false;
  float alpha = cfg.alpha;
  const float alpha_floor = cfg.min_alpha > 0 ? cfg.min_alpha : cfg.alpha * 0.0001f;
  double loss = 0;
  int64_t loss_n = 0, pairs = 0;
  const int64_t per_thread = cfg.train_words / cfg.threads;
  int32_t single;
  auto subwords = [&](int32_t w, const int32_t** p) -> int {
    if (!cfg.sub_indptr) {
      single = w;
      *p = &single;
      return 1;
    }
    *p = cfg.sub_indices + cfg.sub_indptr[w];
    return cfg.sub_indptr[w + 1] - cfg.sub_indptr[w];
  };
  // Rows of syn1neg are scattered over megabytes, so one update waits on a cache miss per target;
  // drawing all targets first (the same LCG values in the same order as word2vec.c's interleaved
  // draws) lets their rows load while the hidden vector is formed.
  const int max_targets = cfg.negative + 1;
  const uint64_t window_magic = sgns::mod_magic(uint64_t(cfg.window));
  std::vector<int32_t> targets(static_cast<size_t>(max_targets));
  // A read prefetch, though the rows are then written: asking for ownership early (prefetchw) makes
  // the other threads' Hogwild updates of the frequent words' rows bounce the lines more (skip-gram
  // on 2 threads ran 14-15 s with it, 11-12 s without).
  auto prefetch_row = [D](const float* row) {
    for (int64_t c = 0; c < D; c += 16) __builtin_prefetch(row + c, 0, 3);
  };
  // One negative-sampling update: hidden = mean of the input rows, k negatives against `word`,
  // the accumulated gradient added to every input row (word2vec.c, fastText's unnormalised add).
  auto update = [&](const int32_t* in, int n_in, int32_t word) {
    int n_targets = 0;
    targets[size_t(n_targets++)] = word;
    for (int d = 1; d < max_targets; ++d) {
      next_random = sgns::lcg_next(next_random);
      const int32_t target = sgns::draw_negative(table, next_random);
      if (target == word) continue;
      targets[size_t(n_targets++)] = target;
    }
    for (int d = 0; d < n_targets; ++d) prefetch_row(syn1 + int64_t(targets[size_t(d)]) * D);
    {
      // The next update most likely draws from the LCG values that follow (after CBOW's window draw
      // for the next center): start loading their table buckets now. A wrong guess (a new sentence
      // draws for subsampling first) costs only the prefetches.
      uint64_t r = next_random;
      if (cfg.cbow) r = sgns::lcg_next(r);
      for (int d = 1; d < max_targets; ++d) {
        r = sgns::lcg_next(r);
        const int64_t j = sgns::table_slot(table, r) >> table.shift;
        __builtin_prefetch(table.bucket_word + j, 0, 3);
        __builtin_prefetch(table.bucket_span + j, 0, 3);
      }
    }
    const float* h;
    if (n_in == 1) {
      h = syn0 + int64_t(in[0]) * D;
    } else {
      ops.mean_rows(neu1.data(), syn0, in, n_in, D);
      h = neu1.data();
    }
    std::fill(neu1e.begin(), neu1e.end(), 0.0f);
    for (int d = 0; d < n_targets; ++d) {
      const int32_t target = targets[size_t(d)];
      const int label = d == 0 ? 1 : 0;
      float* out = syn1 + int64_t(target) * D;
      float f = ops.dot(h, out, D);
      float g = sgns::ns_gradient(f, label, alpha, exp_table);
      if ((pairs & 15) == 0) {
        loss += sgns::ns_loss(f, label, exp_table);
        ++loss_n;
      }
      ops.fused(g, h, out, neu1e.data(), D);
    }
    ++pairs;
    for (int j = 0; j < n_in; ++j) ops.add(neu1e.data(), syn0 + int64_t(in[j]) * D, D);
  };
  auto publish = [&]() {
    prog->word_count_actual.fetch_add(word_count - last_word_count, std::memory_order_relaxed);
    last_word_count = word_count;
    atomic_add(prog->loss_sum, loss);
    prog->loss_count.fetch_add(loss_n, std::memory_order_relaxed);
    prog->pairs.fetch_add(pairs, std::memory_order_relaxed);
    loss = 0;
    loss_n = 0;
    pairs = 0;
  };
  while (true) {
    if (word_count - last_word_count > 10000) {
      publish();
      alpha = cfg.alpha * (1.0f - float(prog->word_count_actual.load(std::memory_order_relaxed)) /
                                      float(int64_t(cfg.epochs) * cfg.train_words + 1));
      if (alpha < alpha_floor) alpha = alpha_floor;
      prog->alpha.store(alpha, std::memory_order_relaxed);
      if (cancelled(cfg)) break;
    }
    if (sentence_length == 0) {
      while (true) {
        int32_t word = src.next(&eof);
        if (eof) break;
        if (word < 0) continue;
        ++word_count;
        if (word == 0) break;
        if (cfg.sample > 0) {
          next_random = sgns::lcg_next(next_random);
          if (!sgns::subsample_keep(ran[size_t(word)],
                                    cfg.subsample_low_bits ? next_random : next_random >> 16))
            continue;
        }
        sen[sentence_length++] = word;
        if (sentence_length >= kMaxSentence) break;
      }
      sentence_position = 0;
    }
    if (eof || word_count > per_thread) {
      prog->word_count_actual.fetch_add(word_count - last_word_count, std::memory_order_relaxed);
      last_word_count = word_count;
      --local_iter;
      if (local_iter == 0 || cancelled(cfg)) break;
      word_count = 0;
      last_word_count = 0;
      sentence_length = 0;
      // word2vec.c never clears its eof flag here, so a thread whose pass ended at the end of the file (on
      // one thread, the first pass) ends each later pass after one word: one thread trains one epoch,
      // with alpha never below 0.8 alpha0. We clear it, so `epochs` means what it says.
      eof = false;
      if (!src.reset()) break;
      continue;
    }
    // word2vec.c would train on a stale sen[0] after an empty sentence; skip it instead.
    if (sentence_length == 0) continue;
    int32_t word = sen[sentence_position];
    next_random = sgns::lcg_next(next_random);
    const int64_t b = int64_t(sgns::mod_by_magic(next_random, uint64_t(cfg.window), window_magic));
    const int64_t W = cfg.window;
    if (cfg.cbow) {
      inputs.clear();
      for (int64_t a = b; a < W * 2 + 1 - b; ++a) {
        if (a == W) continue;
        int64_t c = sentence_position - W + a;
        if (c < 0 || c >= sentence_length) continue;
        const int32_t* p;
        int n = subwords(sen[c], &p);
        inputs.insert(inputs.end(), p, p + n);
      }
      if (!inputs.empty()) update(inputs.data(), int(inputs.size()), word);
    } else {
      for (int64_t a = b; a < W * 2 + 1 - b; ++a) {
        if (a == W) continue;
        int64_t c = sentence_position - W + a;
        if (c < 0 || c >= sentence_length) continue;
        if (!cfg.sub_indptr) {
          // word2vec.c's direction: the context word is the input, the center word the target.
          int32_t in = sen[c];
          update(&in, 1, word);
        } else {
          // fastText's: the center word's subwords are the input, the context word the target.
          const int32_t* p;
          int n = subwords(word, &p);
          update(p, n, sen[c]);
        }
      }
    }
    ++sentence_position;
    if (sentence_position >= sentence_length) sentence_length = 0;
  }
  publish();
}

}  // namespace

void sgns_train_cpu(const TrainConfig& cfg, TrainProgress* progress) {
  progress->alpha.store(cfg.alpha);
  std::vector<std::thread> workers;
  for (int t = 0; t < cfg.threads; ++t) {
    if (cfg.ids)
      workers.emplace_back(train_thread<IdsSource>, std::cref(cfg), progress, t);
    else
      workers.emplace_back(train_thread<FileSource>, std::cref(cfg), progress, t);
  }
  for (auto& w : workers) w.join();
}

}  // namespace tk
