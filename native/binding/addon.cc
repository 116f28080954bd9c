// The addon's entry point: every binding file registered itself (registry.h); this runs them.
#include <napi.h>

#include "binding/registry.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tk::binding::InitAll(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(textkernels, Init)
