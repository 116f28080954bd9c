// The emulator's runtime (cuda/emu/cuda_emu.h): guarded memory, the block scheduler (one block at
// a time, its threads as ucontext fibers), barriers, warp rendezvous, the fault handler.
//
// Built without _FORTIFY_SOURCE: a fault leaves the kernel with siglongjmp from the signal handler,
// which runs on a fiber's stack, back to launch() on the caller's stack.
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "cuda/emu/cuda_emu.h"

namespace tk_emu {

uint3 g_thread_idx{0, 0, 0}, g_block_idx{0, 0, 0};
dim3 g_block_dim, g_grid_dim;

Config& config() {
  static Config c;
  return c;
}
Stats& stats() {
  static Stats s;
  return s;
}

namespace {

size_t page_size() {
  static const size_t p = size_t(sysconf(_SC_PAGESIZE));
  return p;
}
size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// ---- guarded regions -------------------------------------------------------------------------------

// [guard page][body pages][guard page]; the usable bytes [ptr, ptr + bytes) touch the upper guard
// (align_end) or the lower one.
struct Region {
  char* base = nullptr;
  size_t len = 0;
  char* ptr = nullptr;
  size_t bytes = 0;
  bool end = true;
  std::string label;
};

std::map<uintptr_t, Region>& regions() {  // by base address
  static std::map<uintptr_t, Region> r;
  return r;
}

Region* make_region(size_t bytes, size_t align, bool end, const std::string& label) {
  const size_t pg = page_size();
  const size_t body = round_up(bytes ? bytes : 1, pg);
  const size_t len = body + 2 * pg;
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  char* base = static_cast<char*>(m);
  mprotect(base, pg, PROT_NONE);
  mprotect(base + pg + body, pg, PROT_NONE);
  Region r;
  r.base = base;
  r.len = len;
  r.bytes = bytes;
  r.end = end;
  r.label = label;
  if (end) {
    uintptr_t p = reinterpret_cast<uintptr_t>(base + pg + body) - bytes;
    p &= ~uintptr_t(align - 1);
    r.ptr = reinterpret_cast<char*>(p);
  } else {
    r.ptr = base + pg;
  }
  auto it = regions().emplace(reinterpret_cast<uintptr_t>(base), r).first;
  return &it->second;
}

void free_region(Region* r) {
  char* base = r->base;
  size_t len = r->len;
  regions().erase(reinterpret_cast<uintptr_t>(base));
  munmap(base, len);
}

// The region whose mapping (guards included) holds addr.
const Region* find_region(uintptr_t addr) {
  auto& rs = regions();
  auto it = rs.upper_bound(addr);
  if (it == rs.begin()) return nullptr;
  --it;
  const Region& r = it->second;
  return addr < it->first + r.len ? &r : nullptr;
}

std::string describe_address(uintptr_t addr) {
  char buf[256];
  const Region* r = find_region(addr);
  if (!r) {
    std::snprintf(buf, sizeof buf, "address %#" PRIxPTR " is in no emulated buffer", addr);
    return buf;
  }
  const uintptr_t lo = reinterpret_cast<uintptr_t>(r->ptr), hi = lo + r->bytes;
  if (addr < lo) {
    std::snprintf(buf, sizeof buf, "%zu bytes before the start of %s (%zu bytes)", size_t(lo - addr),
                  r->label.c_str(), r->bytes);
  } else if (addr >= hi) {
    std::snprintf(buf, sizeof buf, "%zu bytes past the end of %s (%zu bytes)", size_t(addr - hi),
                  r->label.c_str(), r->bytes);
  } else {
    std::snprintf(buf, sizeof buf, "inside %s (%zu bytes) at offset %zu", r->label.c_str(), r->bytes,
                  size_t(addr - lo));
  }
  return buf;
}

cudaError_t g_last_error = cudaSuccess;
uint64_t g_malloc_count = 0;

// ---- fibers --------------------------------------------------------------------------------------

enum State { kReady, kBarrier, kWarp, kDone };

struct Fiber {
  ucontext_t ctx;
  State state = kReady;
  uint3 tid{0, 0, 0};
  unsigned lane = 0, warp = 0;
};

struct Warp {
  unsigned exist = 0;    // lanes the block has
  unsigned arrived = 0;  // lanes waiting at the current rendezvous
  unsigned mask = 0;
  const char* what = nullptr;
  int parity = 0;
  uint64_t vals[2][32];
};

constexpr size_t kStackBytes = 256 * 1024;

struct Stack {
  char* base;  // guard page, then kStackBytes
};
std::vector<Stack>& stacks() {
  static std::vector<Stack> s;
  return s;
}
char* stack_for(size_t i) {
  auto& s = stacks();
  while (s.size() <= i) {
    const size_t pg = page_size();
    void* m = mmap(nullptr, kStackBytes + pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) throw KernelFault("emulator: out of memory for fiber stacks");
    mprotect(m, pg, PROT_NONE);
    s.push_back(Stack{static_cast<char*>(m)});
  }
  return s[i].base;
}

struct Block {
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  std::vector<int> ready;
  int cur = -1;
  int at_barrier = 0, done = 0;
  int parity = 0;  // of the current barrier, for __syncthreads_count
  int count[2] = {0, 0};
  ucontext_t sched;
};

Block g_block;
const Launch* g_launch = nullptr;
void (*g_body)(void*) = nullptr;
void* g_body_ctx = nullptr;
bool g_in_launch = false;
std::string g_fail_msg;
sigjmp_buf g_jmp;
uint64_t g_block_epoch = 0;
size_t g_static_shared = 0;
Region* g_dyn = nullptr;
// Who runs next: seed 0 the lowest ready thread index, 1 the highest (each runs a thread, and so
// its warp, as far as it can before the next one: the opposite of lockstep); other odd seeds the
// same with a random priority per thread (drawn per block); even seeds a uniformly random ready
// thread at every switch (close to lockstep, with random drift).
enum class Order { kAscending, kDescending, kRandomPriority, kRandomPick };
Order g_order = Order::kAscending;
bool g_random = false;  // the random orders also switch after atomics and permute blocks
std::vector<uint32_t> g_priority;
uint64_t g_rng = 1;

uint64_t next_rand() {  // xorshift64*
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545F4914F6CDD1DULL;
}
uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string where(int fiber) {
  char buf[512];
  const Launch& l = *g_launch;
  int n = std::snprintf(buf, sizeof buf, "kernel %s (launched at %s:%d), block (%u,%u,%u)", l.name, l.file,
                        l.line, g_block_idx.x, g_block_idx.y, g_block_idx.z);
  if (fiber >= 0 && n > 0 && size_t(n) < sizeof buf) {
    const uint3 t = g_block.fibers[size_t(fiber)].tid;
    std::snprintf(buf + n, sizeof buf - size_t(n), ", thread (%u,%u,%u)", t.x, t.y, t.z);
  }
  return buf;
}

Fiber& current() { return g_block.fibers[size_t(g_block.cur)]; }

// Back to the scheduler; returns when the scheduler runs this fiber again.
void park(State s) {
  Fiber& f = current();
  f.state = s;
  swapcontext(&f.ctx, &g_block.sched);
}

[[noreturn]] void abort_block(const std::string& msg) {
  g_fail_msg = msg;
  siglongjmp(g_jmp, 1);
}

void fiber_main() {
  try {
    g_body(g_body_ctx);
  } catch (const std::exception& e) {
    abort_block("exception in " + where(g_block.cur) + ": " + e.what());
  }
  g_block.done++;
  park(kDone);
}

void make_ready(int i) {
  g_block.fibers[size_t(i)].state = kReady;
  g_block.ready.push_back(i);
}

int pick() {
  auto& r = g_block.ready;
  size_t k = 0;
  if (g_order == Order::kRandomPick) {
    k = size_t(next_rand() % r.size());
  } else {
    auto before = [](int a, int b) {
      switch (g_order) {
        case Order::kAscending:
          return a < b;
        case Order::kDescending:
          return a > b;
        default:
          return g_priority[size_t(a)] < g_priority[size_t(b)];
      }
    };
    for (size_t j = 1; j < r.size(); ++j)
      if (before(r[j], r[k])) k = j;
  }
  const int i = r[k];
  r[k] = r.back();
  r.pop_back();
  return i;
}

std::string lanes_str(unsigned m) {
  std::string s;
  for (int l = 0; l < 32; ++l)
    if (m >> l & 1u) s += (s.empty() ? "" : ",") + std::to_string(l);
  return s;
}

// Nothing is ready: release a barrier all threads reached, finish, or report the deadlock.
bool resolve_stall() {
  Block& b = g_block;
  const int n = int(b.fibers.size());
  if (b.done == n) return false;
  if (b.at_barrier == n) {
    b.at_barrier = 0;
    b.parity ^= 1;
    b.count[b.parity] = 0;
    stats().barriers++;
    for (int i = 0; i < n; ++i) make_ready(i);
    return true;
  }
  std::string msg;
  if (b.at_barrier > 0 && b.at_barrier + b.done == n) {
    int first_done = -1;
    for (int i = 0; i < n && first_done < 0; ++i)
      if (b.fibers[size_t(i)].state == kDone) first_done = i;
    const uint3 t = b.fibers[size_t(first_done)].tid;
    msg = "__syncthreads() reached by " + std::to_string(b.at_barrier) + " of " + std::to_string(n) +
          " threads; the others exited without reaching it (e.g. thread (" + std::to_string(t.x) + "," +
          std::to_string(t.y) + "," + std::to_string(t.z) + "))";
  } else {
    msg = "deadlock: " + std::to_string(b.at_barrier) + " threads wait at __syncthreads(), " +
          std::to_string(b.done) + " exited";
    for (size_t w = 0; w < b.warps.size(); ++w) {
      const Warp& wp = b.warps[w];
      if (wp.arrived) {
        msg += "; warp " + std::to_string(w) + ": lanes " + lanes_str(wp.arrived) + " wait at " + wp.what +
               " with mask lanes " + lanes_str(wp.mask) + ", which never all arrive";
      }
    }
  }
  abort_block(msg + " in " + where(-1));
}

void run_block() {
  Block& b = g_block;
  const int n = int(b.fibers.size());
  b.ready.clear();
  b.at_barrier = b.done = 0;
  b.parity = 0;
  b.count[0] = b.count[1] = 0;
  b.cur = -1;
  for (auto& w : b.warps) {
    w.arrived = 0;
    w.parity = 0;
  }
  g_block_epoch++;
  g_static_shared = 0;
  if (g_dyn && config().poison) std::memset(g_dyn->ptr, 0xFF, g_dyn->bytes);
  if (g_order == Order::kRandomPriority) {
    g_priority.resize(size_t(n));
    for (int i = 0; i < n; ++i) g_priority[size_t(i)] = uint32_t(i);
    for (size_t i = g_priority.size(); i > 1; --i)
      std::swap(g_priority[i - 1], g_priority[size_t(next_rand() % i)]);
  }
  for (int i = 0; i < n; ++i) {
    Fiber& f = b.fibers[size_t(i)];
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = stack_for(size_t(i)) + page_size();
    f.ctx.uc_stack.ss_size = kStackBytes;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_main, 0);
    make_ready(i);
  }
  stats().blocks++;
  stats().threads += uint64_t(n);
  for (;;) {
    if (b.ready.empty() && !resolve_stall()) break;
    const int i = pick();
    b.cur = i;
    g_thread_idx = b.fibers[size_t(i)].tid;
    stats().switches++;
    swapcontext(&b.sched, &b.fibers[size_t(i)].ctx);
  }
  b.cur = -1;
}

// ---- the fault handler -----------------------------------------------------------------------------

struct sigaction g_old_segv, g_old_bus, g_old_alrm;
stack_t g_old_alt;
std::unique_ptr<char[]> g_alt_stack;
constexpr size_t kAltBytes = 64 * 1024;

void on_fault(int sig, siginfo_t* si, void* uc_raw) {
  if (!g_in_launch) {  // not ours: default action
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  const uintptr_t addr = reinterpret_cast<uintptr_t>(si->si_addr);
  const char* access = "access";
#if defined(__x86_64__)
  auto* uc = static_cast<ucontext_t*>(uc_raw);
  access = (uc->uc_mcontext.gregs[REG_ERR] & 2) ? "write" : "read";
#else
  (void)uc_raw;
#endif
  std::string what;
  // A fault in a fiber's guard page is its stack overflowing.
  for (const Stack& s : stacks()) {
    if (addr >= reinterpret_cast<uintptr_t>(s.base) &&
        addr < reinterpret_cast<uintptr_t>(s.base) + page_size())
      what = "stack overflow of a thread (more than 256 KB)";
  }
  if (what.empty()) what = std::string("out-of-bounds ") + access + ": " + describe_address(addr);
  g_fail_msg = what + " in " + where(g_block.cur);
  siglongjmp(g_jmp, 1);
}

// The watchdog: a kernel that never reaches a switch point (an endless loop, or a spin-wait on
// another thread, which cooperative fibers cannot preempt) would hang the test run.
void on_timeout(int, siginfo_t*, void*) {
  if (!g_in_launch) return;
  g_fail_msg =
      "the kernel did not finish within " + std::to_string(config().timeout_ms) +
      " ms (an endless loop, or a spin-wait on another thread, which the emulator cannot preempt) in " +
      where(g_block.cur);
  siglongjmp(g_jmp, 1);
}

void set_timer(long ms) {
  itimerval t{};
  t.it_value.tv_sec = ms / 1000;
  t.it_value.tv_usec = (ms % 1000) * 1000;
  setitimer(ITIMER_REAL, &t, nullptr);
}

void install_handler() {
  if (!g_alt_stack) g_alt_stack.reset(new char[kAltBytes]);
  stack_t ss{};
  ss.ss_sp = g_alt_stack.get();
  ss.ss_size = kAltBytes;
  sigaltstack(&ss, &g_old_alt);
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_old_segv);
  sigaction(SIGBUS, &sa, &g_old_bus);
  if (config().timeout_ms > 0) {
    sa.sa_sigaction = on_timeout;
    sigaction(SIGALRM, &sa, &g_old_alrm);
    set_timer(config().timeout_ms);
  }
}

void restore_handler() {
  if (config().timeout_ms > 0) {
    set_timer(0);
    sigaction(SIGALRM, &g_old_alrm, nullptr);
  }
  sigaction(SIGSEGV, &g_old_segv, nullptr);
  sigaction(SIGBUS, &g_old_bus, nullptr);
  if (g_old_alt.ss_flags & SS_DISABLE) {
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, nullptr);
  } else {
    sigaltstack(&g_old_alt, nullptr);
  }
}

struct KernelAttrs {
  int max_dynamic_shared = 48 * 1024;
};
std::map<const void*, KernelAttrs>& kernel_attrs() {
  static std::map<const void*, KernelAttrs> m;
  return m;
}

constexpr size_t kMaxStaticShared = 48 * 1024;
constexpr int kMaxOptInShared = 227 * 1024;

struct SharedSlot {
  Region* region = nullptr;
  uint64_t epoch = 0;
};

}  // namespace

// ---- kernel-side API -------------------------------------------------------------------------------

void fail(const std::string& what) {
  if (!g_in_launch) throw KernelFault(what);
  abort_block(what + " in " + where(g_block.cur));
}

void syncthreads() {
  g_block.at_barrier++;
  park(kBarrier);
}

int syncthreads_count(int pred) {
  const int p = g_block.parity;
  if (pred) g_block.count[p]++;
  syncthreads();
  return g_block.count[p];  // the next barrier counts into the other slot
}

unsigned lane_id() { return current().lane; }

const uint64_t* warp_exchange(unsigned mask, uint64_t bits, const char* what) {
  Fiber& f = current();
  Warp& w = g_block.warps[f.warp];
  const std::string op(what);
  if (!(mask >> f.lane & 1u))
    fail(op + ": the calling lane " + std::to_string(f.lane) + " is not in the mask");
  if (mask & ~w.exist)
    fail(op + ": the mask names lanes " + lanes_str(mask & ~w.exist) + " that this block does not have");
  for (int l = 0; l < 32; ++l) {
    if ((mask >> l & 1u) && g_block.fibers[size_t(f.warp * 32 + unsigned(l))].state == kDone)
      fail(op + ": lane " + std::to_string(l) + " of the mask has already exited");
  }
  if (w.arrived == 0) {
    w.mask = mask;
    w.what = what;
  } else if (w.mask != mask || std::strcmp(w.what, what) != 0) {
    fail(op + " with mask lanes " + lanes_str(mask) + " while lanes " + lanes_str(w.arrived) + " wait at " +
         w.what + " with mask lanes " + lanes_str(w.mask));
  }
  stats().warp_syncs++;
  const int p = w.parity;
  w.vals[p][f.lane] = bits;
  w.arrived |= 1u << f.lane;
  if (w.arrived == mask) {
    // The last lane releases the others and, like them, waits for the scheduler to pick it.
    w.arrived = 0;
    w.parity ^= 1;
    for (int l = 0; l < 32; ++l) {
      if ((mask >> l & 1u) && unsigned(l) != f.lane) make_ready(int(f.warp * 32 + unsigned(l)));
    }
    g_block.ready.push_back(g_block.cur);
    park(kReady);
  } else {
    park(kWarp);
  }
  return w.vals[p];
}

void after_atomic() {
  stats().atomics++;
  if (g_random && config().atomic_yield > 0 &&
      double(next_rand() >> 11) * (1.0 / 9007199254740992.0) < config().atomic_yield) {
    g_block.ready.push_back(g_block.cur);
    park(kReady);
  }
}

void* shared_alloc(void** key, size_t bytes, size_t align, const char* name) {
  auto* slot = static_cast<SharedSlot*>(*key);
  if (!slot) {
    slot = new SharedSlot();  // one per __shared__ declaration, for the life of the process
    *key = slot;
  }
  if (slot->epoch != g_block_epoch) {
    if (!slot->region || slot->region->end != config().align_end || slot->region->bytes != bytes) {
      if (slot->region) free_region(slot->region);
      slot->region = make_region(bytes, align, config().align_end, std::string("__shared__ ") + name);
      if (!slot->region) fail("emulator: out of memory for __shared__ " + std::string(name));
    }
    if (config().poison) std::memset(slot->region->ptr, 0xFF, bytes);
    slot->epoch = g_block_epoch;
    g_static_shared += bytes;
    if (g_static_shared > kMaxStaticShared)
      fail("static __shared__ memory of the block exceeds 48 KB (" + std::to_string(g_static_shared) +
           " bytes)");
  }
  return slot->region->ptr;
}

void* dynamic_shared() { return g_dyn->ptr; }

cudaError_t set_func_attribute(const void* kernel, cudaFuncAttribute attr, int value) {
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || value > kMaxOptInShared) return g_last_error = cudaErrorInvalidValue;
    kernel_attrs()[kernel].max_dynamic_shared = value;
  }
  return cudaSuccess;
}

void launch(const Launch& l, void (*body)(void*), void* ctx) {
  stats().launches++;
  const uint64_t nthreads = uint64_t(l.block.x) * l.block.y * l.block.z;
  if (nthreads == 0 || nthreads > 1024 || l.block.x > 1024 || l.block.y > 1024 || l.block.z > 64 ||
      l.grid.x == 0 || l.grid.y == 0 || l.grid.z == 0 || l.grid.x > 2147483647u || l.grid.y > 65535 ||
      l.grid.z > 65535) {
    g_last_error = cudaErrorInvalidConfiguration;
    return;
  }
  const auto attr = kernel_attrs().find(l.kernel);
  const size_t max_dyn = size_t(attr == kernel_attrs().end() ? 48 * 1024 : attr->second.max_dynamic_shared);
  if (l.shmem > max_dyn) {
    g_last_error = cudaErrorInvalidValue;  // "too many resources requested for launch"
    return;
  }
  if (g_in_launch) throw KernelFault("emulator: a kernel launched another kernel");

  // Threads: x fastest, as on the device; warps are 32 consecutive linear ids.
  Block& b = g_block;
  b.fibers.assign(size_t(nthreads), Fiber());
  b.warps.assign(size_t((nthreads + 31) / 32), Warp());
  for (uint64_t i = 0; i < nthreads; ++i) {
    Fiber& f = b.fibers[size_t(i)];
    f.tid = uint3{unsigned(i % l.block.x), unsigned(i / l.block.x % l.block.y),
                  unsigned(i / (uint64_t(l.block.x) * l.block.y))};
    f.lane = unsigned(i % 32);
    f.warp = unsigned(i / 32);
    b.warps[f.warp].exist |= 1u << f.lane;
  }
  g_block_dim = l.block;
  g_grid_dim = l.grid;
  g_launch = &l;
  g_body = body;
  g_body_ctx = ctx;
  const Config& c = config();
  g_order = c.seed == 0   ? Order::kAscending
            : c.seed == 1 ? Order::kDescending
            : c.seed % 2  ? Order::kRandomPriority
                          : Order::kRandomPick;
  g_random = c.seed > 1;
  g_rng = splitmix(c.seed * 0x100000001B3ULL + stats().launches) | 1;

  // Dynamic shared memory: exactly the launch's bytes, against a guard page like the rest.
  static Region* dyn = nullptr;
  if (!dyn || dyn->bytes != l.shmem || dyn->end != c.align_end) {
    if (dyn) free_region(dyn);
    dyn = make_region(l.shmem, 16, c.align_end, "extern __shared__ memory");
    if (!dyn) throw KernelFault("emulator: out of memory for dynamic shared memory");
  }
  g_dyn = dyn;

  const uint64_t nblocks = uint64_t(l.grid.x) * l.grid.y * l.grid.z;
  std::vector<uint64_t> order;
  const bool permute = g_random && c.shuffle_blocks && nblocks <= (uint64_t(1) << 24);
  if (permute) {
    order.resize(size_t(nblocks));
    for (uint64_t i = 0; i < nblocks; ++i) order[size_t(i)] = i;
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[size_t(next_rand() % i)]);
  }

  install_handler();
  g_in_launch = true;
  if (sigsetjmp(g_jmp, 1)) {
    g_in_launch = false;
    restore_handler();
    g_block.cur = -1;
    // The exception is the report: unlike a real context, the emulator stays usable afterwards.
    throw KernelFault(g_fail_msg);
  }
  for (uint64_t k = 0; k < nblocks; ++k) {
    const uint64_t id = permute ? order[size_t(k)] : k;
    g_block_idx = uint3{unsigned(id % l.grid.x), unsigned(id / l.grid.x % l.grid.y),
                        unsigned(id / (uint64_t(l.grid.x) * l.grid.y))};
    run_block();
  }
  g_in_launch = false;
  restore_handler();
}

}  // namespace tk_emu

// ---- runtime API -------------------------------------------------------------------------------------

using tk_emu::Region;

cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (!p) return tk_emu::g_last_error = cudaErrorInvalidValue;
  const size_t align = bytes ? std::min<size_t>(bytes & (~bytes + 1), 256) : 256;
  Region* r = tk_emu::make_region(bytes, align, tk_emu::config().align_end,
                                  "cudaMalloc buffer #" + std::to_string(++tk_emu::g_malloc_count));
  if (!r) return tk_emu::g_last_error = cudaErrorMemoryAllocation;
  if (tk_emu::config().poison) std::memset(r->ptr, 0xFF, bytes);
  *p = r->ptr;
  return cudaSuccess;
}

namespace {
// The buffer that holds p (not its guards), or null.
Region* device_region(const void* p) {
  const Region* r = tk_emu::find_region(reinterpret_cast<uintptr_t>(p));
  if (!r) return nullptr;
  const uintptr_t a = reinterpret_cast<uintptr_t>(p), lo = reinterpret_cast<uintptr_t>(r->ptr);
  return a >= lo && a <= lo + r->bytes ? const_cast<Region*>(r) : nullptr;
}
bool device_range_ok(const void* p, size_t bytes) {
  Region* r = device_region(p);
  if (!r) return false;
  return static_cast<const char*>(p) + bytes <= r->ptr + r->bytes;
}
}  // namespace

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  Region* r = device_region(p);
  if (!r || r->ptr != p) return tk_emu::g_last_error = cudaErrorInvalidDevicePointer;
  tk_emu::free_region(r);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind < 0 || kind > cudaMemcpyDefault) return tk_emu::g_last_error = cudaErrorInvalidMemcpyDirection;
  if ((dst_dev && !device_range_ok(dst, bytes)) || (src_dev && !device_range_ok(src, bytes)))
    return tk_emu::g_last_error = cudaErrorInvalidValue;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!device_range_ok(p, bytes)) return tk_emu::g_last_error = cudaErrorInvalidValue;
  std::memset(p, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
  return cudaMemset(p, value, bytes);
}
cudaError_t cudaGetLastError() {
  cudaError_t e = tk_emu::g_last_error;
  tk_emu::g_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return tk_emu::g_last_error; }
const char* cudaGetErrorString(cudaError_t err) {
  switch (err) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer:
      return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection:
      return "invalid copy direction for memcpy";
    case cudaErrorNoDevice:
      return "no CUDA-capable device is detected";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure";
  }
  return "unknown error";
}
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaStreamCreate(cudaStream_t* s) {
  static int token;
  *s = reinterpret_cast<cudaStream_t>(&token);
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  return device == 0 ? cudaSuccess : (tk_emu::g_last_error = cudaErrorInvalidValue);
}
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t) { return cudaMalloc(p, bytes); }
cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (device != 0) return tk_emu::g_last_error = cudaErrorInvalidValue;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *value = 48 * 1024;
      return cudaSuccess;
    case cudaDevAttrWarpSize:
      *value = 32;
      return cudaSuccess;
    case cudaDevAttrMultiProcessorCount:
      *value = 132;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor:
      *value = 9;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor:
      *value = 0;
      return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *value = 227 * 1024;
      return cudaSuccess;
  }
  return tk_emu::g_last_error = cudaErrorInvalidValue;
}
cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
