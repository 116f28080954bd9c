// Fused softmax attention (FlashAttention-2 style) on the CPU:
//   O = softmax(scale * Q K^T + mask) V
// computed tile by tile (query tiles x key tiles) with an online softmax, so no Tq x Tk matrix is
// ever held: memory beyond the inputs and outputs is one score tile per thread. The forward saves
// only the per-row log-sum-exp; the backward recomputes the probabilities from it.
//
// Short key sequences (Tk <= kAttentionWholeRowMaxTk) take a query tile's whole key row at once
// instead: one score product, a two-pass softmax, one value product. There the caller may also
// pass `probs`, a [B, H, Tq, Tk] buffer the forward fills with the probabilities (before dropout)
// and the backward reads instead of recomputing them: the backward then skips one of its five
// tile products and all of its exp(), for B*H*Tq*Tk floats of memory, as torch's math path keeps.
// Whether probs is kept never changes the forward's results.
//
// Q is [B, H, Tq, D], K and V are [B, H, Tk, D], all contiguous. Masks combine:
//  - `mask`: a float additive mask whose four dims are each 1 (broadcast) or the full size of
//    [B, H, Tq, Tk], contiguous in that shape (boolean masks arrive as 0 / -inf);
//  - `key_padding`: [B, Tk] bytes, non-zero = key masked out for every query of that batch row;
//  - `causal`: query i sees keys j <= i (top-left aligned, as torch's is_causal).
// Fully masked rows give zero outputs, lse = -inf, and zero gradients.
#pragma once
#include <cstdint>

namespace tk {

struct AttentionMask {
  const float* add = nullptr;              // [mb, mh, mq, mk], may be null
  int64_t mb = 1, mh = 1, mq = 1, mk = 1;  // each 1 or the full size
  const uint8_t* key_padding = nullptr;    // [B, Tk], may be null
  bool causal = false;
};

// The longest key sequence the forward takes whole per query tile (and so can keep probabilities
// for): a 64 x 512 score block is 128 KB, which stays in L2 beside the value rows.
constexpr int64_t kAttentionWholeRowMaxTk = 512;

struct AttentionDropout {
  float p = 0.0f;                 // probability of dropping; 0 = off
  uint64_t seed = 0, offset = 0;  // Philox key and first block (see math/attention.h)
};

void attention_forward_cpu(float* out,      // [B, H, Tq, D], must not alias the inputs
                           float* lse,      // [B, H, Tq], log-sum-exp of each row's scores
                           float* probs,    // [B, H, Tq, Tk] or null; only for Tk <= kAttentionWholeRowMaxTk
                           const float* q,  // [B, H, Tq, D]
                           const float* k,  // [B, H, Tk, D]
                           const float* v,  // [B, H, Tk, D]
                           const AttentionMask& mask, const AttentionDropout& drop, int64_t B, int64_t H,
                           int64_t Tq, int64_t Tk, int64_t D, float scale);
// Gradients of the loss with respect to q, k, v from dout; outputs are overwritten.
void attention_backward_cpu(float* dq,           // [B, H, Tq, D]
                            float* dk,           // [B, H, Tk, D]
                            float* dv,           // [B, H, Tk, D]
                            const float* dout,   // [B, H, Tq, D]
                            const float* q,      // [B, H, Tq, D]
                            const float* k,      // [B, H, Tk, D]
                            const float* v,      // [B, H, Tk, D]
                            const float* out,    // [B, H, Tq, D], the forward output
                            const float* lse,    // [B, H, Tq], from the forward
                            const float* probs,  // [B, H, Tq, Tk] as the forward filled it, or null
                            const AttentionMask& mask, const AttentionDropout& drop, int64_t B, int64_t H,
                            int64_t Tq, int64_t Tk, int64_t D, float scale);

namespace isa {
// C[m, n] = alpha * op(A)[m, k] B[k, n] (+ C when accumulate), row-major, unpacked
// (attention_avx2.cc); op(A) = A stored [m, lda], or A^T stored [k, lda] when trans_a. Call only
// after the CPU check.
void attention_gemm_avx2(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                         int64_t lda, const float* b, int64_t ldb, bool accumulate, float* c, int64_t ldc);
}  // namespace isa

}  // namespace tk
