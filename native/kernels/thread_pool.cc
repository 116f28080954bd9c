#include "kernels/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tk {
namespace {

int default_threads() {
  if (const char* env = std::getenv("TEXTKERNELS_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return std::min(n, 1024);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? int(hc) : 1;
}

// One parallel call. Workers hold it by shared_ptr because a worker can still be leaving the task
// loop (its last fetch_add) after the caller has returned and started the next job.
struct Job {
  const std::function<void(int, int)>* fn = nullptr;
  int tasks = 0;
  std::atomic<int> next{0};
  std::atomic<int> pending{0};
};

class Pool {
 public:
  Pool() : threads_(default_threads()) {}
  ~Pool() { stop_workers(); }

  int threads() const { return threads_.load(); }

  void set_threads(int n) {
    std::lock_guard<std::mutex> busy(run_mutex_);
    stop_workers();
    threads_ = n < 1 ? default_threads() : std::min(n, 1024);
  }

  void run(int tasks, const std::function<void(int, int)>& fn) {
    if (tasks <= 0) return;
    std::unique_lock<std::mutex> busy(run_mutex_, std::defer_lock);
    if (tasks == 1 || threads_ <= 1 || in_worker_ || !busy.try_lock()) {
      for (int t = 0; t < tasks; ++t) fn(t, tasks);
      return;
    }
    ensure_workers();
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->tasks = tasks;
    job->pending.store(tasks);
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = job;
      ++generation_;
      generation_seen_.store(generation_, std::memory_order_release);
    }
    cv_.notify_all();
    work_on(*job);
    // Spin, not sleep: kernels in recurrent loops launch thousands of tiny jobs.
    while (job->pending.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    std::lock_guard<std::mutex> lk(m_);
    job_.reset();
  }

 private:
  static void work_on(Job& job) {
    for (;;) {
      int t = job.next.fetch_add(1, std::memory_order_relaxed);
      if (t >= job.tasks) break;
      (*job.fn)(t, job.tasks);
      job.pending.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void ensure_workers() {
    int want = threads_ - 1;
    if (int(workers_.size()) == want) return;
    stop_workers();
    for (int i = 0; i < want; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    std::lock_guard<std::mutex> lk(m_);
    stopping_ = false;
  }

  void worker_loop() {
    in_worker_ = true;
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lk(m_);
      seen = generation_;
    }
    for (;;) {
      // Spin a little before sleeping so back-to-back small jobs skip a futex wake-up.
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_seen_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < until) {
      }
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
      }
      if (job) work_on(*job);
    }
  }

  std::atomic<int> threads_;
  std::mutex run_mutex_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::shared_ptr<Job> job_;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> generation_seen_{0};
  bool stopping_ = false;
  static thread_local bool in_worker_;
};

thread_local bool Pool::in_worker_ = false;

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destructors at exit
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }

void parallel_tasks(int tasks, const std::function<void(int, int)>& fn) { pool().run(tasks, fn); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t max_chunks = (n + grain - 1) / grain;
  int chunks = int(std::min<int64_t>(max_chunks, num_threads()));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  pool().run(chunks, [&](int t, int tasks) {
    int64_t begin = n * t / tasks, end = n * (t + 1) / tasks;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace tk
