// Entry of the test-only emulator addon: the registered launchers (test/cuda-emu/launchers/*.cc),
// configure({ seed, alignEnd, shuffleBlocks, atomicYield, poison, timeoutMs }), stats(), resetStats().
#include <utility>
#include <vector>

#include "binding/registry.h"
#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

std::vector<std::pair<const char*, Fn>>& launchers() {
  static std::vector<std::pair<const char*, Fn>> v;
  return v;
}

Napi::Value Call(const Napi::CallbackInfo& info) {
  Fn fn = reinterpret_cast<Fn>(info.Data());
  Napi::Env env = info.Env();
  std::string kind, msg;
  try {
    return fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const tk_emu::KernelFault& e) {
    kind = "fault";
    msg = e.what();
  } catch (const std::exception& e) {
    kind = "error";
    msg = e.what();
  }
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("kind", Napi::String::New(env, kind));
  throw err;
}

Napi::Value Configure(const Napi::CallbackInfo& info) {
  Napi::Object o = info[0].As<Napi::Object>();
  tk_emu::Config& c = tk_emu::config();
  if (o.Has("seed")) c.seed = uint64_t(o.Get("seed").As<Napi::Number>().DoubleValue());
  if (o.Has("alignEnd")) c.align_end = o.Get("alignEnd").ToBoolean().Value();
  if (o.Has("shuffleBlocks")) c.shuffle_blocks = o.Get("shuffleBlocks").ToBoolean().Value();
  if (o.Has("atomicYield")) c.atomic_yield = o.Get("atomicYield").As<Napi::Number>().DoubleValue();
  if (o.Has("poison")) c.poison = o.Get("poison").ToBoolean().Value();
  if (o.Has("timeoutMs")) c.timeout_ms = long(o.Get("timeoutMs").As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  const tk_emu::Stats& s = tk_emu::stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("launches", double(s.launches));
  o.Set("blocks", double(s.blocks));
  o.Set("threads", double(s.threads));
  o.Set("switches", double(s.switches));
  o.Set("barriers", double(s.barriers));
  o.Set("warpSyncs", double(s.warp_syncs));
  o.Set("atomics", double(s.atomics));
  return o;
}

Napi::Value ResetStats(const Napi::CallbackInfo& info) {
  tk_emu::stats() = tk_emu::Stats();
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (auto& [name, fn] : launchers())
    exports.Set(name, Napi::Function::New(env, Call, name, reinterpret_cast<void*>(fn)));
  exports.Set("configure", Napi::Function::New(env, Configure, "configure"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("resetStats", Napi::Function::New(env, ResetStats, "resetStats"));
  // The `cuda` object of the library's device bindings (cuda/binding/*.cc).
  tk::binding::InitAll(env, exports);
  return exports;
}

void register_launcher(const char* name, Fn fn) { launchers().emplace_back(name, fn); }

}  // namespace tk_emu_addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return tk_emu_addon::Init(env, exports);
}
NODE_API_MODULE(cuda_emu, InitModule)
