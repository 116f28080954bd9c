// Row softmax steps shared by the CPU kernels and the CUDA kernels (softmax, log-softmax, fused
// cross-entropy, and the FlashAttention-style attention kernel, which keeps one running state per
// query row while it streams key blocks).
//
// The running state is (m, s): the largest value seen and sum(exp(x - m)) over the values seen.
// A new maximum rescales s by exp(m_old - m_new), so one pass gives the normaliser without a
// separate max pass; two states merge the same way (for split rows or per-warp partials).
// Values of -inf contribute nothing; a row of only -inf ends with m = -inf, s = 0, and the outputs
// exp(x - m) / s are NaN, as PyTorch gives. NaN inputs make s NaN (NaN propagates, as in PyTorch).
#pragma once
#include "textkernels/math/common.h"

namespace tk::math {

struct SoftmaxState {
  float m;  // running max
  float s;  // running sum of exp(x - m)
};

TK_HD SoftmaxState softmax_state_init() { return SoftmaxState{-INFINITY, 0.0f}; }

// Folds one value into the state.
TK_HD void softmax_state_update(SoftmaxState* st, float x) {
  if (x > st->m) {
    // m = -inf on the first finite value: s * exp(-inf) = 0 * 0, s restarts at 1.
    st->s = st->s * expf(st->m - x) + 1.0f;
    st->m = x;
  } else if (x != -INFINITY) {
    st->s += expf(x - st->m);  // x NaN: s becomes NaN
  }
}

// Folds a block's state b (its own max and sum) into a, e.g. attention's next key block.
TK_HD void softmax_state_merge(SoftmaxState* a, SoftmaxState b) {
  if (b.m == -INFINITY && b.s == 0.0f) return;
  if (a->m == -INFINITY && a->s == 0.0f) {
    *a = b;
    return;
  }
  float m = a->m > b.m ? a->m : b.m;
  a->s = a->s * expf(a->m - m) + b.s * expf(b.m - m);
  a->m = m;
}

// Factor that rescales an accumulator normalised to old max m_old to the new max m_new (attention's
// O <- O * exp(m_old - m_new)); 0 when nothing was accumulated yet.
TK_HD float softmax_rescale(float m_old, float m_new) {
  return m_old == -INFINITY ? 0.0f : expf(m_old - m_new);
}

// log(sum(exp(x))) of the row the state describes.
TK_HD float softmax_state_logsumexp(SoftmaxState st) { return st.m + logf(st.s); }

// One output element from the finished state.
TK_HD float softmax_from_state(float x, SoftmaxState st) { return expf(x - st.m) / st.s; }
TK_HD float log_softmax_from_state(float x, SoftmaxState st) { return x - st.m - logf(st.s); }

// The NaN-propagating max step of the softmax kernels' max pass (once NaN, stays NaN, as PyTorch's
// vectorised max); also merges two partial maxima.
TK_HD float softmax_max_step(float m, float v) { return (v > m || v != v) && m == m ? v : m; }

// Backward steps, in terms of the forward output y and the row reduction r:
//   softmax:     dx = y * (dy - r), r = sum(dy * y)
//   log-softmax: dx = dy - exp(y) * r, r = sum(dy)
TK_HD float softmax_grad(float y, float dy, float r) { return y * (dy - r); }
TK_HD float log_softmax_grad(float y, float dy, float r) { return dy - expf(y) * r; }

}  // namespace tk::math
