// cuda/sgns.cu, which has no CPU twin (the CPU trainer updates pair by pair; this kernel shares the
// negatives of a window): sgnsWindows runs the kernel, sgnsReference the same algorithm as plain
// sequential host code over math/sgns.h, block after block (run the emulator with shuffleBlocks off:
// blocks update shared rows Hogwild-style, so their order changes the result).
//
// (syn0, syn1neg, D, centers, ctxPtr, ctxIds, maxInputs, K, alpha, seed, starts: BigInt64Array,
//  bucketWord: Int32Array, shift, vocabSize, tableSize); syn0 and syn1neg are updated in place.
#include "textkernels/math/sgns.h"

#include <vector>

#include "test/cuda-emu/emu_addon.h"

namespace tk::cuda {
cudaError_t sgns_windows_cuda(float* syn0, float* syn1neg, int64_t D, const int32_t* centers,
                              const int32_t* ctx_ptr, const int32_t* ctx_ids, int B, int max_inputs, int K,
                              float alpha, uint64_t seed, tk::sgns::UnigramTableView table,
                              cudaStream_t stream);
}

namespace tk_emu_addon {
namespace {

template <typename T>
T* host(const Napi::CallbackInfo& info, size_t i) {
  Napi::TypedArray a = info[i].As<Napi::TypedArray>();
  return reinterpret_cast<T*>(static_cast<char*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

TK_EMU_LAUNCHER(sgnsWindows) {
  Dev syn0(info, 0), syn1(info, 1), centers(info, 3), ctx_ptr(info, 4), ctx_ids(info, 5), starts(info, 10),
      bucket(info, 11);
  const int B = int(info[3].As<Napi::TypedArray>().ElementLength());
  tk::sgns::UnigramTableView table{starts.ptr<int64_t>(), bucket.ptr<int32_t>(), int32_t(Int(info, 12)),
                                   int32_t(Int(info, 13)), Int(info, 14)};
  check(tk::cuda::sgns_windows_cuda(syn0.f(), syn1.f(), Int(info, 2), centers.ptr<int32_t>(),
                                    ctx_ptr.ptr<int32_t>(), ctx_ids.ptr<int32_t>(), B, int(Int(info, 6)),
                                    int(Int(info, 7)), float(Num(info, 8)), uint64_t(Int(info, 9)), table,
                                    nullptr),
        "sgns_windows_cuda");
  syn0.back();
  syn1.back();
  return info.Env().Undefined();
}

TK_EMU_LAUNCHER(sgnsReference) {
  float* syn0 = host<float>(info, 0);
  float* syn1 = host<float>(info, 1);
  const int64_t D = Int(info, 2);
  const int32_t* centers = host<int32_t>(info, 3);
  const int32_t* ctx_ptr = host<int32_t>(info, 4);
  const int32_t* ctx_ids = host<int32_t>(info, 5);
  const int B = int(info[3].As<Napi::TypedArray>().ElementLength());
  const int K = int(Int(info, 7));
  const float alpha = float(Num(info, 8));
  const uint64_t seed = uint64_t(Int(info, 9));
  tk::sgns::UnigramTableView table{host<int64_t>(info, 10), host<int32_t>(info, 11), int32_t(Int(info, 12)),
                                   int32_t(Int(info, 13)), Int(info, 14)};
  float exp_table[tk::sgns::kExpTableSize + 1];
  for (int i = 0; i < tk::sgns::kExpTableSize; ++i) exp_table[i] = tk::sgns::exp_table_entry(i);
  exp_table[tk::sgns::kExpTableSize] = exp_table[tk::sgns::kExpTableSize - 1];
  for (int b = 0; b < B; ++b) {
    const int32_t center = centers[b];
    const int begin = ctx_ptr[b];
    const int n_in = std::min(ctx_ptr[b + 1] - begin, 64);
    const int n_out = std::min(K + 1, 33);
    std::vector<int32_t> targets(static_cast<size_t>(n_out));
    uint64_t r = seed + uint64_t(b) * 0x9E3779B97F4A7C15ULL;
    targets[0] = center;
    for (int j = 1; j < n_out; ++j) {
      r = tk::sgns::lcg_next(r);
      targets[size_t(j)] = tk::sgns::draw_negative(table, r);
    }
    std::vector<float> in(size_t(n_in * D)), out(size_t(n_out * D)), g(size_t(n_in * n_out));
    for (int64_t e = 0; e < n_in * D; ++e) in[size_t(e)] = syn0[int64_t(ctx_ids[begin + e / D]) * D + e % D];
    for (int64_t e = 0; e < n_out * D; ++e)
      out[size_t(e)] = syn1[int64_t(targets[size_t(e / D)]) * D + e % D];
    for (int p = 0; p < n_in * n_out; ++p) {
      const int i = p / n_out, j = p % n_out;
      float s[32];  // the lanes' partial sums, then the kernel's shuffle-down tree
      for (int l = 0; l < 32; ++l) {
        float f = 0;
        for (int64_t c = l; c < D; c += 32) f += in[size_t(i * D + c)] * out[size_t(j * D + c)];
        s[l] = f;
      }
      for (int off = 16; off > 0; off /= 2) {
        float t[32];
        for (int l = 0; l < 32; ++l) t[l] = s[l] + (l + off < 32 ? s[l + off] : s[l]);
        for (int l = 0; l < 32; ++l) s[l] = t[l];
      }
      const bool skip = j > 0 && targets[size_t(j)] == center;
      g[size_t(p)] = skip ? 0.0f : tk::sgns::ns_gradient(s[0], j == 0 ? 1 : 0, alpha, exp_table);
    }
    for (int64_t e = 0; e < n_in * D; ++e) {
      const int i = int(e / D);
      const int64_t c = e % D;
      float acc = 0;
      for (int j = 0; j < n_out; ++j) acc += g[size_t(i * n_out + j)] * out[size_t(j * D + c)];
      syn0[int64_t(ctx_ids[begin + i]) * D + c] += acc;
    }
    for (int64_t e = 0; e < n_out * D; ++e) {
      const int j = int(e / D);
      const int64_t c = e % D;
      float acc = 0;
      for (int i = 0; i < n_in; ++i) acc += g[size_t(i * n_out + j)] * in[size_t(i * D + c)];
      syn1[int64_t(targets[size_t(j)]) * D + c] += acc;
    }
  }
  return info.Env().Undefined();
}

}  // namespace
}  // namespace tk_emu_addon
