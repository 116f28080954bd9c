#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/gemm.h"
#include "kernels/random.h"
#include "kernels/softmax.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/attention.h"

namespace tk {
namespace {

// Query rows x key columns of one score tile. 64 x 128 floats (32 KB) plus the 64 x D output
// accumulator stay in L2 while the tile's two GEMMs run; the backward uses square 64 x 64 tiles
// because it keeps three of them (P, dP, dropped P).
constexpr int64_t kFwdBq = 64, kFwdBk = 128;
constexpr int64_t kBwdBq = 64, kBwdBk = 64;

// C = alpha * op(A) B (+ C): the unpacked AVX2 tile product where available, else the general GEMM.
void tile_gemm(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, bool accumulate, float* c, int64_t ldc) {
#if defined(TK_HAVE_X86_KERNELS)
  if (simd_level() >= SimdLevel::kAvx2) {
    isa::attention_gemm_avx2(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
    return;
  }
#endif
  sgemm_cpu(trans_a, false, m, n, k, alpha, a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
}

// dst[c, r] = src[r, c] for a rows x cols block (dst has leading dimension rows).
void transpose(float* dst, const float* src, int64_t rows, int64_t cols, int64_t ld_src) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * ld_src + c];
}

struct Tile {
  int64_t b, h, i0, bq, j0, bk;
};

// S[r, c] = scale * q_i . k_j + mask, for the rows and columns of one tile; -inf where masked.
// kt is the tile's keys transposed, [D, ldkt] with ldkt >= t.bk; S has leading dimension lds.
void score_tile(float* s, int64_t lds, const float* q, const float* kt, int64_t ldkt, const AttentionMask& m,
                const Tile& t, int64_t H, int64_t Tk, int64_t D, float scale) {
  tile_gemm(false, t.bq, t.bk, D, scale, q + t.i0 * D, D, kt, ldkt, false, s, lds);
  const uint8_t* kp = m.key_padding ? m.key_padding + t.b * Tk + t.j0 : nullptr;
  bool need_causal = m.causal && t.j0 + t.bk - 1 > t.i0;
  if (!m.add && !kp && !need_causal) return;
  for (int64_t r = 0; r < t.bq; ++r) {
    float* row = s + r * lds;
    int64_t i = t.i0 + r;
    if (m.add) {
      int64_t mb = m.mb > 1 ? t.b : 0, mh = m.mh > 1 ? t.h : 0, mq = m.mq > 1 ? i : 0;
      const float* a = m.add + ((mb * m.mh + mh) * m.mq + mq) * m.mk;
      if (m.mk > 1) {
        for (int64_t c = 0; c < t.bk; ++c) row[c] += a[t.j0 + c];
      } else {
        for (int64_t c = 0; c < t.bk; ++c) row[c] += a[0];
      }
    }
    if (kp) {
      for (int64_t c = 0; c < t.bk; ++c)
        if (kp[c]) row[c] = -INFINITY;
    }
    if (need_causal) {
      for (int64_t c = std::max<int64_t>(0, i + 1 - t.j0); c < t.bk; ++c) row[c] = -INFINITY;
    }
  }
}

// Last key (exclusive) that any query row in [i0, i0 + bq) may see.
int64_t key_end(const AttentionMask& m, int64_t i0, int64_t bq, int64_t Tk) {
  return m.causal ? std::min(Tk, i0 + bq) : Tk;
}

uint64_t prob_index(int64_t b, int64_t h, int64_t i, int64_t j, int64_t H, int64_t Tq, int64_t Tk) {
  return uint64_t(((b * H + h) * Tq + i) * Tk + j);
}

}  // namespace

void attention_forward_cpu(float* out, float* lse, float* probs, const float* q, const float* k,
                           const float* v, const AttentionMask& mask, const AttentionDropout& drop, int64_t B,
                           int64_t H, int64_t Tq, int64_t Tk, int64_t D, float scale) {
  if (B == 0 || H == 0 || Tq == 0) return;
  const bool whole_row = Tk <= kAttentionWholeRowMaxTk;
  if (!whole_row) probs = nullptr;
  int64_t nq = (Tq + kFwdBq - 1) / kFwdBq;
  float keep_scale = drop.p < 1.0f ? 1.0f / (1.0f - drop.p) : 0.0f;
  // One task per (batch, head, query tile); a tile's work is ~bq * Tk * D multiply-adds, so tiny
  // problems group tiles to avoid paying for threads.
  int64_t work = kFwdBq * std::max<int64_t>(Tk, 1) * std::max<int64_t>(D, 1);
  int64_t grain = std::max<int64_t>(1, 65536 / work);
  parallel_for(B * H * nq, grain, [&](int64_t t0, int64_t t1) {
    // Whole rows: the score block (unless it goes straight into probs) and, when probs keeps the
    // probabilities before dropout, the dropped copy the value product uses.
    std::vector<float> s(whole_row ? (probs ? 0 : kFwdBq * Tk) : kFwdBq * kFwdBk);
    std::vector<float> dropped(whole_row && probs && drop.p > 0.0f ? kFwdBq * Tk : 0);
    std::vector<float> acc(whole_row ? 0 : kFwdBq * std::max<int64_t>(D, 1));
    // The head's keys transposed, key tile after key tile ([D, width] each): a thread's tasks are
    // consecutive query tiles, mostly of one head, so each head is transposed once, not once per
    // query tile.
    std::vector<float> kt(size_t(Tk * D));
    int64_t kt_head = -1;
    uint32_t words[kFwdBk];
    math::SoftmaxState st[kFwdBq];
    for (int64_t task = t0; task < t1; ++task) {
      int64_t bh = task / nq, qt = task % nq;
      int64_t b = bh / H, h = bh % H;
      int64_t i0 = qt * kFwdBq, bq = std::min(kFwdBq, Tq - i0);
      const float* qh = q + bh * Tq * D;
      const float* kh = k + bh * Tk * D;
      const float* vh = v + bh * Tk * D;
      if (kt_head != bh) {
        for (int64_t j0 = 0; j0 < Tk; j0 += kFwdBk)
          transpose(kt.data() + j0 * D, kh + j0 * D, std::min(kFwdBk, Tk - j0), D, D);
        kt_head = bh;
      }
      int64_t jend = key_end(mask, i0, bq, Tk);
      if (whole_row) {
        float* sr = probs ? probs + (bh * Tq + i0) * Tk : s.data();
        for (int64_t j0 = 0; j0 < jend; j0 += kFwdBk) {
          Tile t{b, h, i0, bq, j0, std::min(kFwdBk, jend - j0)};
          score_tile(sr + j0, Tk, qh, kt.data() + j0 * D, std::min(kFwdBk, Tk - j0), mask, t, H, Tk, D,
                     scale);
        }
        // Causal rows end at jend; the backward's tiles may reach up to the next tile edge.
        int64_t zend = probs ? std::min(Tk, (jend + kBwdBk - 1) / kBwdBk * kBwdBk) : jend;
        float* l = lse + bh * Tq + i0;
        for (int64_t r = 0; r < bq; ++r) {
          float* row = sr + r * Tk;
          std::fill(row + jend, row + zend, 0.0f);
          math::SoftmaxState rs{softmax_row_max(row, jend), 0.0f};
          if (rs.m == -INFINITY) {
            std::memset(row, 0, sizeof(float) * jend);  // fully masked: zero output, zero gradients
            l[r] = -INFINITY;
            continue;
          }
          rs.s = softmax_row_exp_sum(row, row, jend, rs.m);
          softmax_row_scale(row, jend, math::attention_row_inv_sum(rs));
          l[r] = math::attention_row_lse(rs);
        }
        const float* pv = sr;
        if (drop.p > 0.0f) {
          float* dst = probs ? dropped.data() : sr;
          for (int64_t r = 0; r < bq; ++r) {
            for (int64_t c0 = 0; c0 < jend; c0 += kFwdBk) {
              int64_t n = std::min(kFwdBk, jend - c0);
              philox_words(words, n, drop.seed, drop.offset, prob_index(b, h, i0 + r, c0, H, Tq, Tk), 0);
              for (int64_t c = 0; c < n; ++c)
                dst[r * Tk + c0 + c] =
                    sr[r * Tk + c0 + c] * math::attention_dropout_keep(words[c], drop.p, keep_scale);
            }
          }
          pv = dst;
        }
        tile_gemm(false, bq, D, jend, 1.0f, pv, Tk, vh, D, false, out + (bh * Tq + i0) * D, D);
        continue;
      }
      for (int64_t r = 0; r < bq; ++r) st[r] = math::softmax_state_init();
      std::fill(acc.begin(), acc.begin() + bq * D, 0.0f);
      for (int64_t j0 = 0; j0 < jend; j0 += kFwdBk) {
        Tile t{b, h, i0, bq, j0, std::min(kFwdBk, jend - j0)};
        score_tile(s.data(), t.bk, qh, kt.data() + j0 * D, std::min(kFwdBk, Tk - j0), mask, t, H, Tk, D,
                   scale);
        for (int64_t r = 0; r < bq; ++r) {
          float* row = s.data() + r * t.bk;
          float mx = softmax_row_max(row, t.bk);
          if (mx == -INFINITY && st[r].m == -INFINITY) {
            std::memset(row, 0, sizeof(float) * t.bk);  // still fully masked: adds nothing
            continue;
          }
          float alpha = math::attention_row_advance(&st[r], mx);
          st[r].s += softmax_row_exp_sum(row, row, t.bk, st[r].m);
          if (alpha != 1.0f) softmax_row_scale(acc.data() + r * D, D, alpha);
          if (drop.p > 0.0f) {
            philox_words(words, t.bk, drop.seed, drop.offset, prob_index(b, h, i0 + r, j0, H, Tq, Tk), 0);
            for (int64_t c = 0; c < t.bk; ++c)
              row[c] *= math::attention_dropout_keep(words[c], drop.p, keep_scale);
          }
        }
        tile_gemm(false, bq, D, t.bk, 1.0f, s.data(), t.bk, vh + j0 * D, D, true, acc.data(), D);
      }
      float* o = out + (bh * Tq + i0) * D;
      float* l = lse + bh * Tq + i0;
      for (int64_t r = 0; r < bq; ++r) {
        float inv = math::attention_row_inv_sum(st[r]);
        for (int64_t c = 0; c < D; ++c) o[r * D + c] = acc[r * D + c] * inv;
        l[r] = math::attention_row_lse(st[r]);
      }
    }
  });
}

void attention_backward_cpu(float* dq, float* dk, float* dv, const float* dout, const float* q,
                            const float* k, const float* v, const float* out, const float* lse,
                            const float* probs, const AttentionMask& mask, const AttentionDropout& drop,
                            int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D, float scale) {
  if (B == 0 || H == 0 || Tq == 0 || Tk == 0 || D == 0) {
    std::fill(dq, dq + B * H * Tq * D, 0.0f);
    std::fill(dk, dk + B * H * Tk * D, 0.0f);
    std::fill(dv, dv + B * H * Tk * D, 0.0f);
    return;
  }
  float keep_scale = drop.p < 1.0f ? 1.0f / (1.0f - drop.p) : 0.0f;
  if (Tk > kAttentionWholeRowMaxTk) probs = nullptr;  // the forward never fills it then
  // A task is (batch x head, chunk of key tiles): it owns the dK and dV rows of its keys. With many
  // heads a chunk is the whole sequence, so each head's dQ is summed by one thread; with few heads
  // (long single sequences) the keys split into a fixed number of chunks, each adding into its own
  // dQ buffer, summed in chunk order afterwards. The split depends on the sizes only, never on the
  // thread count, so the results do not either.
  const int64_t nkt = (Tk + kBwdBk - 1) / kBwdBk;
  const int64_t chunks = B * H >= 8 ? 1 : std::min<int64_t>(nkt, 8 / (B * H));
  const int64_t per = (nkt + chunks - 1) / chunks;
  // Each task clears the rows it adds into (its dK and dV rows, its dQ or dQ part) itself: cleared
  // up front, the 3 x B x H x T x D floats were a serial pass, with the first touch of fresh pages.
  std::unique_ptr<float[]> dq_part(chunks > 1 ? new float[size_t(B * H * chunks * Tq * D)] : nullptr);
  int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, Tq * Tk * D / chunks));
  parallel_for(B * H * chunks, grain, [&](int64_t t0, int64_t t1) {
    std::vector<float> p(probs ? 0 : kBwdBq * kBwdBk), dp(kBwdBq * kBwdBk),
        pd(drop.p > 0.0f ? kBwdBq * kBwdBk : 0);
    std::vector<float> kt(probs ? 0 : kBwdBk * D), vt(kBwdBk * D);  // kt: only to recompute scores
    std::vector<float> drow(Tq);
    uint32_t words[kBwdBk];
    for (int64_t task = t0; task < t1; ++task) {
      int64_t bh = task / chunks, ch = task % chunks;
      int64_t b = bh / H, h = bh % H;
      const float* qh = q + bh * Tq * D;
      const float* kh = k + bh * Tk * D;
      const float* vh = v + bh * Tk * D;
      const float* oh = out + bh * Tq * D;
      const float* doh = dout + bh * Tq * D;
      const float* lh = lse + bh * Tq;
      float* dqh = chunks > 1 ? dq_part.get() + task * Tq * D : dq + bh * Tq * D;
      float* dkh = dk + bh * Tk * D;
      float* dvh = dv + bh * Tk * D;
      const int64_t jt_end = std::min(nkt, (ch + 1) * per);
      const int64_t key0 = std::min(Tk, ch * per * kBwdBk), key1 = std::min(Tk, jt_end * kBwdBk);
      std::fill(dqh, dqh + Tq * D, 0.0f);
      std::fill(dkh + key0 * D, dkh + key1 * D, 0.0f);
      std::fill(dvh + key0 * D, dvh + key1 * D, 0.0f);
      for (int64_t i = 0; i < Tq; ++i) {
        float acc = 0.0f;
        for (int64_t c = 0; c < D; ++c) acc += doh[i * D + c] * oh[i * D + c];
        drow[i] = acc;
      }
      for (int64_t j0 = ch * per * kBwdBk; j0 < jt_end * kBwdBk; j0 += kBwdBk) {
        int64_t bk = std::min(kBwdBk, Tk - j0);
        if (!probs) transpose(kt.data(), kh + j0 * D, bk, D, D);
        transpose(vt.data(), vh + j0 * D, bk, D, D);
        // Causal: query tiles that end before key j0 see none of this key tile.
        int64_t istart = mask.causal ? std::min(Tq, j0 / kBwdBq * kBwdBq) : 0;
        for (int64_t i0 = istart; i0 < Tq; i0 += kBwdBq) {
          int64_t bq = std::min(kBwdBq, Tq - i0);
          if (mask.causal && j0 > i0 + bq - 1) continue;
          // The tile's probabilities: kept by the forward, or recomputed from the log-sum-exp.
          const float* pt;
          int64_t ldp;
          if (probs) {
            pt = probs + (bh * Tq + i0) * Tk + j0;
            ldp = Tk;
          } else {
            Tile t{b, h, i0, bq, j0, bk};
            score_tile(p.data(), bk, qh, kt.data(), bk, mask, t, H, Tk, D, scale);
            for (int64_t r = 0; r < bq; ++r) {
              float* row = p.data() + r * bk;
              float l = lh[i0 + r];
              if (l == -INFINITY) {
                std::memset(row, 0, sizeof(float) * bk);
              } else {
                softmax_row_exp_sum(row, row, bk, l);
              }
            }
            pt = p.data();
            ldp = bk;
          }
          tile_gemm(false, bq, bk, D, 1.0f, doh + i0 * D, D, vt.data(), bk, false, dp.data(), bk);
          const float* pv = pt;  // the probabilities V was weighted by in the forward
          int64_t ldpv = ldp;
          if (drop.p > 0.0f) {
            for (int64_t r = 0; r < bq; ++r) {
              philox_words(words, bk, drop.seed, drop.offset, prob_index(b, h, i0 + r, j0, H, Tq, Tk), 0);
              for (int64_t c = 0; c < bk; ++c) {
                float f = math::attention_dropout_keep(words[c], drop.p, keep_scale);
                pd[r * bk + c] = pt[r * ldp + c] * f;
                dp[r * bk + c] *= f;
              }
            }
            pv = pd.data();
            ldpv = bk;
          }
          tile_gemm(true, bk, D, bq, 1.0f, pv, ldpv, doh + i0 * D, D, true, dvh + j0 * D, D);
          for (int64_t r = 0; r < bq; ++r) {
            float dr = drow[i0 + r];
            for (int64_t c = 0; c < bk; ++c)
              dp[r * bk + c] = math::attention_score_grad(pt[r * ldp + c], dp[r * bk + c], dr);
          }
          tile_gemm(true, bk, D, bq, scale, dp.data(), bk, qh + i0 * D, D, true, dkh + j0 * D, D);
          tile_gemm(false, bq, D, bk, scale, dp.data(), bk, kh + j0 * D, D, true, dqh + i0 * D, D);
        }
      }
    }
  });
  if (chunks > 1) {
    parallel_for(B * H * Tq, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, D * chunks)),
                 [&](int64_t r0, int64_t r1) {
                   for (int64_t r = r0; r < r1; ++r) {
                     int64_t bh = r / Tq, i = r % Tq;
                     float* o = dq + r * D;
                     std::fill(o, o + D, 0.0f);
                     for (int64_t ch = 0; ch < chunks; ++ch) {
                       const float* src = dq_part.get() + ((bh * chunks + ch) * Tq + i) * D;
                       for (int64_t c = 0; c < D; ++c) o[c] += src[c];
                     }
                   }
                 });
  }
}

}  // namespace tk
