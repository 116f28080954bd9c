// Per-row steps of FlashAttention-style softmax attention, shared by the CPU kernel
// (native/kernels/attention.cc) and the CUDA kernel (cuda/attention.cu).
//
// A query row keeps the running softmax state of math/softmax.h, (m, s): the largest score seen and
// sum(exp(score - m)); its output accumulator is normalised to the same m. A new block of scores
// with a larger maximum rescales both by exp(m_old - m_new). The backward pass keeps only the
// log-sum-exp L = m + log(s) per row and recomputes P = exp(score - L) block by block.
//
// Masked scores are -inf. A row whose every score is masked ends with m = -inf, s = 0: its output
// is defined as zeros and its L as -inf, and the backward gives it zero gradients (rather than the
// NaN a plain softmax over only -inf gives).
//
// Dropout on the probabilities draws element (b, h, i, j) of the [B, H, Tq, Tk] probability
// tensor from Philox at flat index ((b * H + h) * Tq + i) * Tk + j after the caller's offset, so
// the backward regenerates the same mask instead of storing it, and the GPU draws the same one.
#pragma once
#include "textkernels/math/common.h"
#include "textkernels/math/philox.h"
#include "textkernels/math/softmax.h"

namespace tk::math {

// Causal masking, aligned to the top-left corner as torch's is_causal (tril of an Tq x Tk matrix
// of ones): query i sees keys j <= i.
TK_HD bool attention_causal_allowed(int64_t i, int64_t j) { return j <= i; }

// Moves a row state to the new block maximum block_max; returns the factor by which the row's
// output accumulator must be multiplied, and leaves st->m at the shift the block's exp() uses.
// A row that is still fully masked keeps m = -inf (the caller then adds nothing).
TK_HD float attention_row_advance(SoftmaxState* st, float block_max) {
  // A NaN score makes the row NaN, as a plain softmax would.
  float m_new = (block_max > st->m || block_max != block_max) ? block_max : st->m;
  float alpha = softmax_rescale(st->m, m_new);
  st->s *= alpha;
  st->m = m_new;
  return alpha;
}

// After the last block: 1 / s for the output (0 for a fully masked row) and the row's log-sum-exp.
TK_HD float attention_row_inv_sum(SoftmaxState st) { return st.s > 0.0f ? 1.0f / st.s : 0.0f; }
TK_HD float attention_row_lse(SoftmaxState st) {
  return st.s > 0.0f ? softmax_state_logsumexp(st) : -INFINITY;
}

// A probability recomputed in the backward pass from the saved log-sum-exp; 0 in fully masked rows.
TK_HD float attention_prob(float score, float lse) { return lse == -INFINITY ? 0.0f : expf(score - lse); }

// The keep factor (0 or 1 / (1 - p)) of a probability whose Philox word is `word`.
TK_HD float attention_dropout_keep(uint32_t word, float p, float scale) {
  return uint_to_unit_float(word) >= p ? scale : 0.0f;
}

// Philox draw for flat element `idx` of the probability tensor: word idx % 4 of block offset + idx / 4
// (the CPU kernel draws a row's words eight blocks at a time, the same words).
TK_HD float attention_dropout_factor(uint64_t seed, uint64_t offset, uint64_t idx, float p, float scale) {
  Philox4 r = philox4x32_10(seed, offset + (idx >> 2), 0);
  return attention_dropout_keep(r.v[idx & 3], p, scale);
}

// FlashAttention-2 backward: dS = P * (dP - D), D = rowsum(dO * O).
TK_HD float attention_score_grad(float p, float dp, float d) { return p * (dp - d); }

}  // namespace tk::math
