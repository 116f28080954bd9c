#include "binding/registry.h"

#include <utility>
#include <vector>

namespace tk::binding {
namespace {
// A function-local static avoids the static-initialisation-order problem between binding files.
std::vector<std::pair<const char*, InitFn>>& registry() {
  static std::vector<std::pair<const char*, InitFn>> fns;
  return fns;
}
}  // namespace

Registrar::Registrar(const char* concern, InitFn fn) { registry().emplace_back(concern, fn); }

void InitAll(Napi::Env env, Napi::Object exports) {
  Napi::Array concerns = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& [name, fn] : registry()) {
    fn(env, exports);
    concerns.Set(i++, Napi::String::New(env, name));
  }
  exports.Set("concerns", concerns);
}

}  // namespace tk::binding
