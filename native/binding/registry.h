// Each binding file registers its exports here at static-initialisation time, so adding a concern
// (a new kernel family) never means editing a central list.
#pragma once
#include <napi.h>

namespace tk::binding {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registrar {
  Registrar(const char* concern, InitFn fn);
};

void InitAll(Napi::Env env, Napi::Object exports);

}  // namespace tk::binding

#define TK_CONCAT_INNER(a, b) a##b
#define TK_CONCAT(a, b) TK_CONCAT_INNER(a, b)
// TK_REGISTER_BINDING(gemm, InitGemm): call once per binding file.
#define TK_REGISTER_BINDING(concern, fn) \
  static ::tk::binding::Registrar TK_CONCAT(tk_registrar_, concern)(#concern, fn)
