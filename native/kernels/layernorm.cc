#include "kernels/layernorm.h"

#include <algorithm>
#include <cmath>

#include "kernels/thread_pool.h"

namespace tk {

void layernorm_forward_cpu(float* y, float* mean, float* rstd, const float* x, const float* w, const float* b,
                           int64_t M, int64_t N, float eps) {
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(N, 1));
  parallel_for(M, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * N;
      float* yr = y + r * N;
      // Two passes with eight double partial sums: vectorisable without reassociation flags, and
      // exact enough for rows far from zero mean (PyTorch uses a cascaded Welford).
      double ps[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t j = 0;
      for (; j + 8 <= N; j += 8)
        for (int k = 0; k < 8; ++k) ps[k] += xr[j + k];
      double s = 0;
      for (int k = 0; k < 8; ++k) s += ps[k];
      for (; j < N; ++j) s += xr[j];
      double mu = N ? s / double(N) : NAN;
      float muf = float(mu);
      double pv[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      j = 0;
      for (; j + 8 <= N; j += 8)
        for (int k = 0; k < 8; ++k) {
          double d = double(xr[j + k] - muf);
          pv[k] += d * d;
        }
      double v = 0;
      for (int k = 0; k < 8; ++k) v += pv[k];
      for (; j < N; ++j) {
        float d = xr[j] - muf;
        v += double(d) * d;
      }
      double var = N ? v / double(N) : NAN;
      float m = float(mu);
      float rs = float(1.0 / std::sqrt(std::max(var, 0.0) + double(eps)));
      mean[r] = m;
      rstd[r] = rs;
      float scale = rs, shift = -rs * m;
      if (w && b) {
        for (int64_t jj = 0; jj < N; ++jj) yr[jj] = (xr[jj] * scale + shift) * w[jj] + b[jj];
      } else if (w) {
        for (int64_t jj = 0; jj < N; ++jj) yr[jj] = (xr[jj] * scale + shift) * w[jj];
      } else if (b) {
        for (int64_t jj = 0; jj < N; ++jj) yr[jj] = (xr[jj] * scale + shift) + b[jj];
      } else {
        for (int64_t jj = 0; jj < N; ++jj) yr[jj] = xr[jj] * scale + shift;
      }
    }
  });
}

void layernorm_backward_cpu(float* dx, float* dw, float* db, const float* dy, const float* x,
                            const float* mean, const float* rstd, const float* w, int64_t M, int64_t N) {
  if (dx) {
    int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(N, 1));
    parallel_for(M, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* g = dy + r * N;
        const float* xr = x + r * N;
        float* out = dx + r * N;
        // PyTorch's formula (layer_norm_backward_cpu): dx = a*dy*w + b*x + c.
        float pds[8] = {0, 0, 0, 0, 0, 0, 0, 0}, pdb[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t j = 0;
        for (; j + 8 <= N; j += 8)
          for (int k = 0; k < 8; ++k) {
            float gw = w ? g[j + k] * w[j + k] : g[j + k];
            pds[k] += gw * xr[j + k];
            pdb[k] += gw;
          }
        double ds = 0, dbias = 0;
        for (int k = 0; k < 8; ++k) {
          ds += pds[k];
          dbias += pdb[k];
        }
        for (; j < N; ++j) {
          float gw = w ? g[j] * w[j] : g[j];
          ds += double(gw) * xr[j];
          dbias += gw;
        }
        double m = mean[r], a = rstd[r];
        double bcoef = (dbias * m - ds) * a * a * a / double(N);
        double c = -bcoef * m - dbias * a / double(N);
        float af = float(a), bf = float(bcoef), cf = float(c);
        if (w) {
          for (int64_t jj = 0; jj < N; ++jj) out[jj] = af * (g[jj] * w[jj]) + bf * xr[jj] + cf;
        } else {
          for (int64_t jj = 0; jj < N; ++jj) out[jj] = af * g[jj] + bf * xr[jj] + cf;
        }
      }
    });
  }
  if (dw || db) {
    // Column blocks, rows in order: the sums do not depend on the thread count.
    constexpr int64_t kCols = 64;
    int64_t blocks = (N + kCols - 1) / kCols;
    parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t bl = b0; bl < b1; ++bl) {
        int64_t j0 = bl * kCols, j1 = std::min(N, j0 + kCols);
        double accw[kCols] = {0}, accb[kCols] = {0};
        for (int64_t r = 0; r < M; ++r) {
          const float* g = dy + r * N;
          const float* xr = x + r * N;
          double m = mean[r], a = rstd[r];
          for (int64_t j = j0; j < j1; ++j) {
            accw[j - j0] += double(g[j]) * (xr[j] - m) * a;
            accb[j - j0] += g[j];
          }
        }
        for (int64_t j = j0; j < j1; ++j) {
          if (dw) dw[j] = float(accw[j - j0]);
          if (db) db[j] = float(accb[j - j0]);
        }
      }
    });
  }
}

}  // namespace tk
