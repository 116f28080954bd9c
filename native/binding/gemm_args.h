// The argument checks of sgemm and sgemmStridedBatched, shared by the CPU exports
// (native/binding/gemm.cc, Arrays = HostArrays: typed arrays) and the device exports
// (cuda/binding/gemm.cc, Arrays = cuda::DeviceArrays: device buffers), so that both refuse the same
// calls with the same messages.
//
// Every element a call can touch is checked against its array before the kernel runs: the
// footprint of a matrix stored with `rows` rows of `cols` used elements and leading dimension `ld`
// starting at `offset` is [offset, offset + (rows - 1) * ld + cols), extended by (batch - 1) * stride
// for batched calls. C must not overlap A or B (compared by memory, so two views of one
// buffer count), and the batch's C matrices must not overlap one another.
#pragma once
#include <algorithm>
#include <string>

#include "binding/args.h"

namespace tk::binding::gemm_args {

// Checked a * b + c for non-negative values; false on overflow.
inline bool MulAdd(int64_t a, int64_t b, int64_t c, int64_t* out) {
  int64_t t;
  if (__builtin_mul_overflow(a, b, &t)) return false;
  return !__builtin_add_overflow(t, c, out);
}

struct Operand {
  Span<float> span;     // the whole typed array
  Span<float> touched;  // the elements the call may read or write
};

// Validates one operand: ld >= max(1, cols), and the footprint within the array.
template <class Arrays>
Operand CheckOperand(const Napi::CallbackInfo& info, size_t arr_i, size_t off_i, size_t ld_i,
                     const char* arr_name, const char* off_name, const char* ld_name, int64_t rows,
                     int64_t cols, const char* what, int64_t batch = 1, int64_t stride = 0,
                     const char* stride_name = nullptr) {
  Napi::Env env = info.Env();
  Operand op;
  op.span = Arrays::template Get<float>(info, arr_i, arr_name);
  int64_t offset = GetInt(info, off_i, off_name);
  int64_t ld = GetInt(info, ld_i, ld_name);
  if (ld < std::max<int64_t>(1, cols)) {
    ThrowRange(env, std::string(ld_name) + " must be at least max(1, " + std::to_string(cols) +
                        ") (the columns of " + what + " as stored), got " + std::to_string(ld));
  }
  const int64_t length = int64_t(op.span.length);
  if (offset > length) {
    ThrowRange(env, std::string(off_name) + " is " + std::to_string(offset) + ", past the end of " +
                        arr_name + " (" + std::to_string(length) + " elements)");
  }
  int64_t end = offset;  // one past the last element touched
  if (rows > 0 && cols > 0 && batch > 0) {
    int64_t last_row_start, span_end;
    bool ok = MulAdd(rows - 1, ld, offset, &last_row_start) &&
              !__builtin_add_overflow(last_row_start, cols, &span_end) &&
              MulAdd(batch - 1, stride, span_end, &end);
    if (!ok || end > length) {
      std::string msg = std::string(arr_name) + " has " + std::to_string(length) + " elements, but " + what +
                        " (" + std::to_string(rows) + " rows of " + std::to_string(cols) + ", " + ld_name +
                        " " + std::to_string(ld) + ", " + off_name + " " + std::to_string(offset);
      if (stride_name)
        msg += ", " + std::to_string(batch) + " matrices " + stride_name + " " + std::to_string(stride);
      msg += ") needs " + (ok ? std::to_string(end) : std::string("more than 2^63"));
      ThrowRange(env, msg);
    }
  }
  op.touched.data = op.span.data + offset;
  op.touched.length = size_t(end - offset);
  return op;
}

struct Args {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  Operand a, b, c;
  int64_t lda, ldb, ldc;
  int64_t batch = 1, sa = 0, sb = 0, sc = 0;
};

template <class Arrays>
Args ReadArgs(const Napi::CallbackInfo& info, bool batched) {
  Napi::Env env = info.Env();
  const char* fn = batched ? "sgemmStridedBatched" : "sgemm";
  RequireArgs(info, batched ? 20 : 16, fn);
  Args r;
  r.ta = GetBool(info, 0, "transA");
  r.tb = GetBool(info, 1, "transB");
  r.m = GetInt(info, 2, "M");
  r.n = GetInt(info, 3, "N");
  r.k = GetInt(info, 4, "K");
  r.alpha = float(GetFiniteNumber(info, 5, "alpha"));
  r.beta = float(GetFiniteNumber(info, 12, "beta"));
  if (batched) {
    r.batch = GetInt(info, 16, "batch");
    r.sa = GetInt(info, 17, "strideA");
    r.sb = GetInt(info, 18, "strideB");
    r.sc = GetInt(info, 19, "strideC");
  }
  // Stored shapes: A is [M, K] or, transposed, [K, M]; B is [K, N] or [N, K]; C is [M, N].
  r.a = CheckOperand<Arrays>(info, 6, 7, 8, "A", "aOffset", "lda", r.ta ? r.k : r.m, r.ta ? r.m : r.k,
                             r.ta ? "A^T" : "A", r.batch, r.sa, batched ? "strideA" : nullptr);
  r.b = CheckOperand<Arrays>(info, 9, 10, 11, "B", "bOffset", "ldb", r.tb ? r.n : r.k, r.tb ? r.k : r.n,
                             r.tb ? "B^T" : "B", r.batch, r.sb, batched ? "strideB" : nullptr);
  r.c = CheckOperand<Arrays>(info, 13, 14, 15, "C", "cOffset", "ldc", r.m, r.n, "C", r.batch, r.sc,
                             batched ? "strideC" : nullptr);
  r.lda = info[8].As<Napi::Number>().Int64Value();
  r.ldb = info[11].As<Napi::Number>().Int64Value();
  r.ldc = info[15].As<Napi::Number>().Int64Value();
  if (Overlaps(r.c.touched, r.a.touched)) ThrowRange(env, std::string(fn) + ": C overlaps A in memory");
  if (Overlaps(r.c.touched, r.b.touched)) ThrowRange(env, std::string(fn) + ": C overlaps B in memory");
  if (batched && r.batch > 1 && r.m > 0 && r.n > 0) {
    // The C matrices may follow one another (strideC >= the span of one) or interleave row by row
    // (strideC >= N and the whole batch of one row fits within ldc).
    const int64_t one = (r.m - 1) * r.ldc + r.n;
    const bool sequential = r.sc >= one;
    const bool interleaved = r.sc >= r.n && (r.batch - 1) * r.sc + r.n <= r.ldc;
    if (!sequential && !interleaved) {
      ThrowRange(env, "strideC " + std::to_string(r.sc) +
                          " makes the batch's C matrices overlap (each spans " + std::to_string(one) +
                          " elements with ldc " + std::to_string(r.ldc) + ")");
    }
  }
  return r;
}

}  // namespace tk::binding::gemm_args
