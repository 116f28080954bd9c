#include "kernels/topk.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kernels/thread_pool.h"
#include "kernels/vec.h"

namespace tk {
namespace {

using Entry = std::pair<float, int32_t>;
// Better = higher score, then lower index: a deterministic order whatever the partition.
inline bool better(const Entry& a, const Entry& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

struct Heap {
  // A min-heap on `better`: the root is the worst kept entry.
  std::vector<Entry> h;
  size_t k;
  explicit Heap(size_t k_) : k(k_) { h.reserve(k_); }
  void push(float s, int32_t i) {
    if (k == 0 || std::isnan(s)) return;
    Entry e{s, i};
    if (h.size() < k) {
      h.push_back(e);
      std::push_heap(h.begin(), h.end(), better);
    } else if (better(e, h.front())) {
      std::pop_heap(h.begin(), h.end(), better);
      h.back() = e;
      std::push_heap(h.begin(), h.end(), better);
    }
  }
};

int64_t finish(std::vector<Entry>& all, int32_t* out_idx, float* out_score, int64_t k) {
  std::sort(all.begin(), all.end(), better);
  int64_t n = std::min<int64_t>(k, int64_t(all.size()));
  for (int64_t i = 0; i < k; ++i) {
    out_idx[i] = i < n ? all[size_t(i)].second : -1;
    out_score[i] = i < n ? all[size_t(i)].first : NAN;
  }
  return n;
}

template <class ScoreFn>
int64_t topk_generic(int32_t* out_idx, float* out_score, int64_t N, int64_t k, const int32_t* exclude,
                     int64_t n_exclude, int64_t grain, ScoreFn score) {
  std::unordered_set<int32_t> ex(exclude, exclude + n_exclude);
  std::vector<Entry> all;
  std::mutex m;
  parallel_for(N, grain, [&](int64_t begin, int64_t end) {
    Heap heap{static_cast<size_t>(k)};
    for (int64_t i = begin; i < end; ++i) {
      if (!ex.empty() && ex.count(int32_t(i))) continue;
      heap.push(score(i), int32_t(i));
    }
    std::lock_guard<std::mutex> lock(m);
    all.insert(all.end(), heap.h.begin(), heap.h.end());
  });
  return finish(all, out_idx, out_score, k);
}

}  // namespace

void rows_dot_cpu(float* scores, const float* matrix, const float* query, int64_t N, int64_t D) {
  parallel_for(N, std::max<int64_t>(1, 32768 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) scores[i] = vec_dot(matrix + i * D, query, D);
  });
}

int64_t topk_scores_cpu(int32_t* out_idx, float* out_score, const float* scores, int64_t N, int64_t k,
                        const int32_t* exclude, int64_t n_exclude) {
  return topk_generic(out_idx, out_score, N, k, exclude, n_exclude, 65536,
                      [&](int64_t i) { return scores[i]; });
}

int64_t topk_dot_cpu(int32_t* out_idx, float* out_score, const float* matrix, const float* query, int64_t N,
                     int64_t D, int64_t k, const int32_t* exclude, int64_t n_exclude) {
  return topk_generic(out_idx, out_score, N, k, exclude, n_exclude,
                      std::max<int64_t>(1, 32768 / std::max<int64_t>(D, 1)),
                      [&](int64_t i) { return vec_dot(matrix + i * D, query, D); });
}

void normalize_rows_cpu(float* out, const float* in, int64_t N, int64_t D) {
  parallel_for(N, std::max<int64_t>(1, 32768 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float* x = in + i * D;
      double ss = 0;
      for (int64_t c = 0; c < D; ++c) ss += double(x[c]) * double(x[c]);
      float inv = ss > 0 ? float(1.0 / std::sqrt(ss)) : 0.0f;
      for (int64_t c = 0; c < D; ++c) out[i * D + c] = x[c] * inv;
    }
  });
}

}  // namespace tk
