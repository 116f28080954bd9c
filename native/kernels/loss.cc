#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

#include "kernels/softmax.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/loss.h"
#include "textkernels/math/softmax.h"

namespace tk {
namespace {

int64_t sample_grain(int64_t C) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1)); }

float sample_lse(const float* x, int64_t C, int64_t S) {
  if (S == 1) {
    // Contiguous classes: max, then sum of exp (vectorised).
    float m = softmax_row_max(x, C);
    return m + logf(softmax_row_exp_sum(nullptr, x, C, m));
  }
  math::SoftmaxState st = math::softmax_state_init();
  for (int64_t c = 0; c < C; ++c) math::softmax_state_update(&st, x[c * S]);
  return math::softmax_state_logsumexp(st);
}

}  // namespace

double cross_entropy_forward_cpu(float* loss, float* lse, const float* logits, const int32_t* target,
                                 const float* weight, int64_t N, int64_t C, int64_t S, int64_t ignore_index,
                                 float label_smoothing) {
  int64_t samples = N * S;
  parallel_for(samples, sample_grain(C), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t n = i / S, s = i % S;
      const float* x = logits + n * C * S + s;
      float l = sample_lse(x, C, S);
      lse[i] = l;
      int64_t y = target[i];
      if (y == ignore_index) {
        loss[i] = 0.0f;
        continue;
      }
      float wy = weight ? weight[y] : 1.0f;
      float nll = -(x[y * S] - l) * wy;
      if (label_smoothing > 0.0f) {
        float smooth = 0.0f;
        for (int64_t c = 0; c < C; ++c) smooth -= (x[c * S] - l) * (weight ? weight[c] : 1.0f);
        loss[i] = (1.0f - label_smoothing) * nll + smooth * (label_smoothing / float(C));
      } else {
        loss[i] = nll;
      }
    }
  });
  double denom = 0;
  for (int64_t i = 0; i < samples; ++i) {
    if (target[i] == ignore_index) continue;
    denom += weight ? weight[target[i]] : 1.0f;
  }
  return denom;
}

void cross_entropy_backward_cpu(float* dlogits, const float* dloss, const float* logits, const float* lse,
                                const int32_t* target, const float* weight, int64_t N, int64_t C, int64_t S,
                                int64_t ignore_index, float label_smoothing, int64_t dloss_stride,
                                float scale) {
  float wsum = 0.0f;
  if (weight) {
    for (int64_t c = 0; c < C; ++c) wsum += weight[c];
  } else {
    wsum = float(C);
  }
  float eps_c = label_smoothing / float(C);
  parallel_for(N * S, sample_grain(C), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t n = i / S, s = i % S;
      const float* x = logits + n * C * S + s;
      float* dx = dlogits + n * C * S + s;
      int64_t y = target[i];
      if (y == ignore_index) {
        for (int64_t c = 0; c < C; ++c) dx[c * S] = 0.0f;
        continue;
      }
      float g = dloss[i * dloss_stride] * scale;
      float l = lse[i];
      float wy = (weight ? weight[y] : 1.0f) * (1.0f - label_smoothing);
      if (S == 1) {
        // g * ((wy + eps_c * wsum) * p_c - eps_c * w_c), then -g * wy at the target.
        softmax_row_exp_affine(dx, x, C, l, g * (wy + eps_c * wsum), g * eps_c, weight);
        dx[y] -= g * wy;
        continue;
      }
      for (int64_t c = 0; c < C; ++c) {
        float p = expf(x[c * S] - l);
        dx[c * S] = g * math::cross_entropy_grad(p, c == y, wy, eps_c, wsum, weight ? weight[c] : 1.0f);
      }
    }
  });
}

void cross_entropy_prob_forward_cpu(float* loss, float* lse, const float* logits, const float* target,
                                    const float* weight, int64_t N, int64_t C, int64_t S,
                                    float label_smoothing) {
  float eps_c = label_smoothing / float(C);
  parallel_for(N * S, sample_grain(C), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t n = i / S, s = i % S;
      const float* x = logits + n * C * S + s;
      const float* t = target + n * C * S + s;
      float l = sample_lse(x, C, S);
      lse[i] = l;
      float acc = 0.0f;
      for (int64_t c = 0; c < C; ++c) {
        float tc = label_smoothing > 0.0f ? t[c * S] * (1.0f - label_smoothing) + eps_c : t[c * S];
        acc -= (x[c * S] - l) * tc * (weight ? weight[c] : 1.0f);
      }
      loss[i] = acc;
    }
  });
}

void cross_entropy_prob_backward_cpu(float* dlogits, float* dtarget, const float* dloss, const float* logits,
                                     const float* lse, const float* target, const float* weight, int64_t N,
                                     int64_t C, int64_t S, float label_smoothing, int64_t dloss_stride,
                                     float scale) {
  float eps_c = label_smoothing / float(C);
  parallel_for(N * S, sample_grain(C), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t n = i / S, s = i % S;
      int64_t base = n * C * S + s;
      const float* x = logits + base;
      const float* t = target + base;
      float g = dloss[i * dloss_stride] * scale;
      float l = lse[i];
      if (dlogits) {
        float wt_sum = 0.0f;
        for (int64_t c = 0; c < C; ++c) {
          float tc = label_smoothing > 0.0f ? t[c * S] * (1.0f - label_smoothing) + eps_c : t[c * S];
          wt_sum += tc * (weight ? weight[c] : 1.0f);
        }
        for (int64_t c = 0; c < C; ++c) {
          float tc = label_smoothing > 0.0f ? t[c * S] * (1.0f - label_smoothing) + eps_c : t[c * S];
          float p = expf(x[c * S] - l);
          dlogits[base + c * S] = g * (p * wt_sum - tc * (weight ? weight[c] : 1.0f));
        }
      }
      if (dtarget) {
        for (int64_t c = 0; c < C; ++c) {
          dtarget[base + c * S] =
              -g * (x[c * S] - l) * (weight ? weight[c] : 1.0f) * (1.0f - label_smoothing);
        }
      }
    }
  });
}

void bce_logits_forward_cpu(float* loss, const float* x, const float* t, const float* weight,
                            const float* pos_weight, int64_t n) {
  parallel_for(n, 16384, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float l = math::bce_logits(x[i], t[i], pos_weight ? pos_weight[i] : 1.0f);
      loss[i] = weight ? l * weight[i] : l;
    }
  });
}

void bce_logits_backward_cpu(float* dx, float* dt, const float* dloss, const float* x, const float* t,
                             const float* weight, const float* pos_weight, int64_t n, int64_t dloss_stride,
                             float scale) {
  parallel_for(n, 16384, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float g = dloss[i * dloss_stride] * scale;
      if (weight) g *= weight[i];
      float pw = pos_weight ? pos_weight[i] : 1.0f;
      if (dx) dx[i] = g * math::bce_logits_grad_input(x[i], t[i], pw);
      if (dt) dt[i] = g * math::bce_logits_grad_target(x[i], t[i], pw);
    }
  });
}

}  // namespace tk
