// The one native thread pool, sized to the cores (TEXTKERNELS_NUM_THREADS or setNumThreads
// override it). Kernels split work with parallel_for; the calling thread always takes part.
//
// Work is cut into a fixed set of contiguous ranges that depends only on (n, grain, threads), so a
// kernel that reduces inside each range gives the same bits on every run with the same thread count.
// A call made while the pool is busy (a second JS worker, or a kernel nested in another) runs
// serially on its caller instead of waiting.
#pragma once
#include <cstdint>
#include <functional>

namespace tk {

int num_threads();
// n < 1 restores the default (hardware concurrency or TEXTKERNELS_NUM_THREADS).
void set_num_threads(int n);

// fn(begin, end) over [0, n) in ranges of at least `grain` items.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// fn(task, tasks) for task in [0, tasks): for kernels that partition work themselves (GEMM).
// tasks may exceed the pool size; each task runs exactly once.
void parallel_tasks(int tasks, const std::function<void(int task, int tasks)>& fn);

}  // namespace tk
