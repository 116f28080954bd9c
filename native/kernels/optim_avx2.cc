// Compiled with -mavx2 -mfma. The Adam step is written out in 8-lane intrinsics that perform
// exactly the operations of math::adam_update (the reference; the generic kernel and CUDA use it)
// in the same order, so every path gives the same bits (tests compare them). The scalar tail and
// SGD call the header directly: with -mfma its fmaf is one instruction.
#include <immintrin.h>

#include "kernels/optim.h"

namespace tk::isa {
namespace {

template <bool kAmsgrad>
void adam_loop(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq, const float* grad,
               const math::AdamScalars& s, int64_t begin, int64_t end) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 wd = _mm256_set1_ps(s.weight_decay), decay = _mm256_set1_ps(s.decay_factor);
  const bool small_w = std::fabs(s.one_minus_beta1) < 0.5f;
  const __m256 w = _mm256_set1_ps(small_w ? s.one_minus_beta1 : s.one_minus_beta1 - 1.0f);
  const __m256 beta2 = _mm256_set1_ps(s.beta2), omb2 = _mm256_set1_ps(s.one_minus_beta2);
  const __m256 bc2 = _mm256_set1_ps(s.bias_corr2_sqrt), eps = _mm256_set1_ps(s.eps);
  const __m256 nstep = _mm256_set1_ps(s.neg_step_size);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    __m256 p = _mm256_loadu_ps(param + i);
    __m256 g = _mm256_loadu_ps(grad + i);
    if (s.maximize) g = _mm256_xor_ps(g, sign);
    if (s.decoupled)
      p = _mm256_mul_ps(p, decay);
    else if (s.l2)
      g = _mm256_fmadd_ps(p, wd, g);
    __m256 m0 = _mm256_loadu_ps(exp_avg + i);
    __m256 diff = _mm256_sub_ps(g, m0);
    __m256 m = _mm256_fmadd_ps(w, diff, small_w ? m0 : g);
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(exp_avg_sq + i), beta2);
    v = _mm256_fmadd_ps(_mm256_mul_ps(omb2, g), g, v);
    __m256 vhat = v;
    if (kAmsgrad) {
      __m256 mx = _mm256_loadu_ps(max_exp_avg_sq + i);
      __m256 nan = _mm256_cmp_ps(mx, v, _CMP_UNORD_Q);
      __m256 big = _mm256_blendv_ps(v, mx, _mm256_cmp_ps(mx, v, _CMP_GT_OQ));
      vhat = _mm256_blendv_ps(big, _mm256_add_ps(mx, v), nan);
      _mm256_storeu_ps(max_exp_avg_sq + i, vhat);
    }
    __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vhat), bc2), eps);
    p = _mm256_add_ps(p, _mm256_div_ps(_mm256_mul_ps(nstep, m), denom));
    _mm256_storeu_ps(exp_avg + i, m);
    _mm256_storeu_ps(exp_avg_sq + i, v);
    _mm256_storeu_ps(param + i, p);
  }
  for (; i < end; ++i) {
    math::adam_update(param + i, grad[i], exp_avg + i, exp_avg_sq + i,
                      kAmsgrad ? max_exp_avg_sq + i : nullptr, s);
  }
}

}  // namespace

void adam_update_range_avx2(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                            const float* grad, const math::AdamScalars& s, int64_t begin, int64_t end) {
  if (s.amsgrad)
    adam_loop<true>(param, exp_avg, exp_avg_sq, max_exp_avg_sq, grad, s, begin, end);
  else
    adam_loop<false>(param, exp_avg, exp_avg_sq, nullptr, grad, s, begin, end);
}

void sgd_update_range_avx2(float* param, float* buf, const float* grad, const math::SgdScalars& s,
                           int64_t begin, int64_t end) {
  const math::SgdScalars c = s;
  if (c.has_momentum) {
    for (int64_t i = begin; i < end; ++i) math::sgd_update(param + i, grad[i], buf + i, c);
  } else {
    for (int64_t i = begin; i < end; ++i) math::sgd_update(param + i, grad[i], nullptr, c);
  }
}

}  // namespace tk::isa
