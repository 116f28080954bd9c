// Exports: w2vExpTable, w2vUnigramStarts, w2vUnigramLookup, w2vDrawNegatives, w2vSubsampleRan,
// w2vInitVectors, w2vCountFile, w2vTrain, w2vNormalizeRows, w2vRowsDot, w2vTopK, w2vTopKScores, ftHash,
// ftSubwords, ftNgrams.
//
// Training and the vocabulary pass run on std::threads of their own (not libuv's pool, not the
// kernel thread pool), started from a call that returns a Promise; progress and completion come
// back through a thread-safe function. A job keeps the JS arrays it writes alive with references,
// and an environment cleanup hook stops and joins every job, so a process that exits mid-training
// never has a thread writing into freed memory.
#include "kernels/word2vec.h"

#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "binding/args.h"
#include "binding/registry.h"
#include "kernels/fasttext_hash.h"
#include "kernels/topk.h"

namespace tk::binding {
namespace {

constexpr int64_t kMaxTable = int64_t(1) << 40;

std::vector<double> GetCounts(const Napi::CallbackInfo& info, size_t i, const char* name) {
  auto c = GetArray<double>(info, i, name);
  std::vector<double> out(c.data, c.data + c.length);
  for (size_t k = 0; k < out.size(); ++k)
    if (!(out[k] >= 0) || out[k] > 9e15 || std::floor(out[k]) != out[k])
      ThrowRange(info.Env(),
                 std::string(name) + "[" + std::to_string(k) + "] must be a non-negative integer");
  return out;
}

Napi::Value JS_w2vExpTable(const Napi::CallbackInfo& info) {
  std::vector<float> t = sgns_exp_table();
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), sgns::kExpTableSize);
  std::memcpy(out.Data(), t.data(), sizeof(float) * sgns::kExpTableSize);
  return out;
}

UnigramTable TableFromArgs(const Napi::CallbackInfo& info, size_t at) {
  Napi::Env env = info.Env();
  std::vector<double> counts = GetCounts(info, at, "counts");
  double power = GetFiniteNumber(info, at + 1, "power");
  int64_t size = GetInt(info, at + 2, "tableSize", 1, kMaxTable);
  if (counts.empty()) ThrowRange(env, "counts must not be empty");
  if (power < 0 || power > 4) ThrowRange(env, "power must be in [0, 4]");
  double z = 0;
  for (double c : counts) z += std::pow(c, power);
  if (!(z > 0) || !std::isfinite(z)) ThrowRange(env, "counts^power must have a positive finite sum");
  return unigram_table_build(counts.data(), int64_t(counts.size()), power, size);
}

// w2vUnigramStarts(counts, power, tableSize): Float64Array [V + 1], slot where each word's run starts.
Napi::Value JS_w2vUnigramStarts(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "w2vUnigramStarts");
  UnigramTable t = TableFromArgs(info, 0);
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), t.starts.size());
  for (size_t i = 0; i < t.starts.size(); ++i) out[i] = double(t.starts[i]);
  return out;
}

// w2vUnigramLookup(out[n], counts, power, tableSize, slots[n]): out[i] = table[slots[i]], and with
// negative slots[i] = -r - 1 the negative drawn from LCG value r (draw_negative).
Napi::Value JS_w2vUnigramLookup(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "w2vUnigramLookup");
  UnigramTable t = TableFromArgs(info, 1);
  auto slots = GetArray<double>(info, 4, "slots");
  auto out = GetArrayExact<int32_t>(info, 0, "out", int64_t(slots.length));
  if (Overlaps(out, slots)) ThrowRange(info.Env(), "out must not share memory with slots");
  sgns::UnigramTableView v = t.view();
  for (size_t i = 0; i < slots.length; ++i) {
    double s = slots.data[i];
    if (!(s >= -9.007199254740992e15) || s >= double(t.table_size) || std::floor(s) != s)
      ThrowRange(info.Env(), "slots[" + std::to_string(i) + "] must be an integer < tableSize");
    out.data[i] = s >= 0 ? sgns::unigram_lookup(v, int64_t(s)) : sgns::draw_negative(v, uint64_t(-s - 1));
  }
  return info.Env().Undefined();
}

// w2vDrawNegatives(out[n], counts, power, tableSize, seed): the trainer's own draws over the full
// 64-bit LCG from `seed` (r = lcg(r), then out[i] = draw_negative(r)), so tests reach the values
// near 2^64 where the multiply-shift modulo needs its correction step.
Napi::Value JS_w2vDrawNegatives(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "w2vDrawNegatives");
  UnigramTable t = TableFromArgs(info, 1);
  auto out = GetArray<int32_t>(info, 0, "out");
  uint64_t r = uint64_t(GetInt(info, 4, "seed", 0, int64_t(1) << 53));
  sgns::UnigramTableView v = t.view();
  for (size_t i = 0; i < out.length; ++i) {
    r = sgns::lcg_next(r);
    out.data[i] = sgns::draw_negative(v, r);
  }
  return info.Env().Undefined();
}

// w2vSubsampleRan(count, sample, trainWords): word2vec.c's `ran` (keep probability, float).
Napi::Value JS_w2vSubsampleRan(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "w2vSubsampleRan");
  int64_t cn = GetInt(info, 0, "count", 1, int64_t(1) << 53);
  double sample = GetFiniteNumber(info, 1, "sample");
  int64_t T = GetInt(info, 2, "trainWords", 1, int64_t(1) << 53);
  if (!(sample > 0)) ThrowRange(info.Env(), "sample must be positive");
  return Napi::Number::New(info.Env(), sgns::subsample_ran(cn, float(sample), T));
}

// w2vInitVectors(out[rows*D], rows, D, seed, scale)
Napi::Value JS_w2vInitVectors(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "w2vInitVectors");
  Napi::Env env = info.Env();
  int64_t rows = GetInt(info, 1, "rows"), D = GetInt(info, 2, "D", 1, 1 << 20);
  int64_t seed = GetInt(info, 3, "seed", 0, (int64_t(1) << 53));
  double scale = GetFiniteNumber(info, 4, "scale");
  auto out = GetArrayExact<float>(info, 0, "out", Numel(env, {rows, D}, "out shape"));
  sgns_init_vectors_cpu(out.data, rows, D, uint64_t(seed), float(scale));
  return env.Undefined();
}

// ---- Jobs on threads of their own -------------------------------------------------------------

struct Job;
struct Event {
  bool start = false;  // the go-ahead, delivered on a later turn of the event loop
  bool final = false;
  double words = 0, total = 0, loss = 0, alpha = 0, seconds = 0, pairs = 0;
  bool aborted = false;
  std::string error;
};
void CallJs(Napi::Env env, Napi::Function fn, Job* job, Event* ev);
using Tsfn = Napi::TypedThreadSafeFunction<Job, Event, CallJs>;

struct Job : std::enable_shared_from_this<Job> {
  napi_env env = nullptr;
  bool count_only = false;
  TrainConfig cfg;
  TrainProgress prog;
  std::vector<double> counts;
  std::vector<int32_t> indptr, indices, ids;
  std::unique_ptr<WordIndex> index;
  UnigramTable table;
  std::vector<float> exp_table;
  WordCounts word_counts;  // count_only
  std::atomic<int32_t> cancel{0};
  int32_t* js_cancel = nullptr;
  double interval_ms = 250;
  std::vector<napi_ref> refs;
  std::unique_ptr<Napi::Promise::Deferred> deferred;
  Tsfn tsfn;
  std::thread runner;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool go = false;
};

std::mutex g_jobs_mu;
std::vector<std::shared_ptr<Job>> g_jobs;

void Unregister(Job* job) {
  std::lock_guard<std::mutex> lock(g_jobs_mu);
  for (size_t i = 0; i < g_jobs.size(); ++i)
    if (g_jobs[i].get() == job) {
      if (g_jobs[i]->runner.joinable()) g_jobs[i]->runner.detach();
      g_jobs.erase(g_jobs.begin() + long(i));
      return;
    }
}

void StopJobs(void* env) {
  std::vector<std::shared_ptr<Job>> mine;
  {
    std::lock_guard<std::mutex> lock(g_jobs_mu);
    for (auto& j : g_jobs)
      if (j->env == env) mine.push_back(j);
  }
  for (auto& j : mine) {
    {
      std::lock_guard<std::mutex> lock(j->mu);
      j->cancel.store(1);
      j->cv.notify_all();
    }
    if (j->runner.joinable() && j->runner.get_id() != std::this_thread::get_id()) j->runner.join();
  }
}

Napi::Object ProgressObject(Napi::Env env, const Event& ev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("words", ev.words);
  o.Set("totalWords", ev.total);
  o.Set("progress", ev.total > 0 ? std::min(1.0, ev.words / ev.total) : 0.0);
  o.Set("loss", ev.loss);
  o.Set("alpha", ev.alpha);
  o.Set("seconds", ev.seconds);
  o.Set("wordsPerSecond", ev.seconds > 0 ? ev.words / ev.seconds : 0.0);
  o.Set("pairs", ev.pairs);
  o.Set("aborted", ev.aborted);
  return o;
}

void CallJs(Napi::Env env, Napi::Function fn, Job* job, Event* ev) {
  std::unique_ptr<Event> owned(ev);
  if (env == nullptr || ev == nullptr) return;
  if (ev->start) {
    std::lock_guard<std::mutex> lock(job->mu);
    job->go = true;
    job->cv.notify_all();
    return;
  }
  if (!ev->final) {
    try {
      fn.Call({ProgressObject(env, *ev)});
    } catch (const Napi::Error&) {
      // A throwing progress callback must not take the training down; the TS layer reports it.
    }
    return;
  }
  for (napi_ref r : job->refs) napi_delete_reference(env, r);
  job->refs.clear();
  if (!ev->error.empty()) {
    job->deferred->Reject(Napi::Error::New(env, ev->error).Value());
  } else if (job->count_only) {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array words = Napi::Array::New(env, job->word_counts.words.size());
    Napi::Float64Array counts = Napi::Float64Array::New(env, job->word_counts.counts.size());
    for (size_t i = 0; i < job->word_counts.words.size(); ++i) {
      words.Set(uint32_t(i), Napi::String::New(env, job->word_counts.words[i]));
      counts[i] = double(job->word_counts.counts[i]);
    }
    o.Set("words", words);
    o.Set("counts", counts);
    o.Set("total", double(job->word_counts.total));
    o.Set("aborted", ev->aborted);
    job->deferred->Resolve(o);
  } else {
    job->deferred->Resolve(ProgressObject(env, *ev));
  }
  Unregister(job);
}

Event Snapshot(Job& job, double seconds) {
  Event ev;
  ev.words = double(job.prog.word_count_actual.load());
  ev.total = double(int64_t(job.cfg.epochs) * job.cfg.train_words);
  int64_t n = job.prog.loss_count.exchange(0);
  double s = job.prog.loss_sum.exchange(0.0);
  ev.loss = n > 0 ? s / double(n) : NAN;
  ev.alpha = job.prog.alpha.load();
  ev.seconds = seconds;
  ev.pairs = double(job.prog.pairs.load());
  ev.aborted = job.cancel.load() != 0;
  return ev;
}

void Start(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(g_jobs_mu);
    g_jobs.push_back(job);
  }
  job->runner = std::thread([job]() {
    // Nothing touches the JS arrays before the call has returned and JS has run to the end of its
    // turn: the caller sees its arrays unchanged during the synchronous part, whatever the timing.
    Event* start = new Event();
    start->start = true;
    if (job->tsfn.BlockingCall(start) != napi_ok) {
      delete start;
      job->cancel.store(1);
    }
    {
      std::unique_lock<std::mutex> lock(job->mu);
      job->cv.wait(lock, [&] { return job->go || job->cancel.load() != 0; });
    }
    auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::string error;
    std::thread worker([job, &error]() {
      if (job->cancel.load() != 0 && !job->go) {
        // Stopped before it started (environment teardown).
      } else if (job->count_only) {
        if (!count_words_file(&job->word_counts, job->cfg.path, &job->cancel, &error) && error.empty())
          error = "vocabulary pass failed";
      } else {
        sgns_train_cpu(job->cfg, &job->prog);
      }
      std::lock_guard<std::mutex> lock(job->mu);
      job->done = true;
      job->cv.notify_all();
    });
    double last_report = 0;
    std::unique_lock<std::mutex> lock(job->mu);
    while (!job->done) {
      job->cv.wait_for(lock, std::chrono::milliseconds(20));
      if (job->js_cancel && __atomic_load_n(job->js_cancel, __ATOMIC_RELAXED) != 0) job->cancel.store(1);
      double now = elapsed();
      if (!job->done && !job->count_only && now - last_report >= job->interval_ms / 1000.0) {
        last_report = now;
        Event* ev = new Event(Snapshot(*job, now));
        if (job->tsfn.NonBlockingCall(ev) != napi_ok) delete ev;
      }
    }
    lock.unlock();
    worker.join();
    Event* ev = new Event(Snapshot(*job, elapsed()));
    ev->final = true;
    ev->error = error;
    if (job->tsfn.BlockingCall(ev) != napi_ok) delete ev;
    job->tsfn.Release();
  });
}

napi_ref Keep(Napi::Env env, Napi::Value v) {
  napi_ref r;
  if (napi_create_reference(env, v, 1, &r) != napi_ok) ThrowRange(env, "cannot reference an argument");
  return r;
}

std::string GetString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString())
    ThrowType(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

void CheckReadable(Napi::Env env, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) ThrowRange(env, "corpus file '" + path + "' cannot be opened: " + std::strerror(errno));
  std::fclose(f);
}

Napi::Function GetFunction(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsFunction())
    ThrowType(info.Env(), std::string(name) + " must be a function");
  return info[i].As<Napi::Function>();
}

// w2vCountFile(path, cancel: Int32Array[>=1]) -> Promise<{words, counts, total, aborted}>
Napi::Value JS_w2vCountFile(const Napi::CallbackInfo& info) {
  RequireArgs(info, 2, "w2vCountFile");
  Napi::Env env = info.Env();
  std::string path = GetString(info, 0, "path");
  auto ctl = GetArray<int32_t>(info, 1, "cancel", 1);
  CheckReadable(env, path);
  auto job = std::make_shared<Job>();
  job->env = env;
  job->count_only = true;
  job->cfg.path = path;
  job->js_cancel = ctl.data;
  job->refs.push_back(Keep(env, info[1]));
  job->deferred = std::make_unique<Napi::Promise::Deferred>(env);
  job->tsfn = Tsfn::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "w2vCountFile", 0, 1,
                        job.get());
  Start(job);
  return job->deferred->Promise();
}

// w2vTrain(syn0[inputRows*D], syn1neg[V*D], counts[V], D, inputRows, subIndptr[0|V+1], subIndices,
//          corpus: path | Int32Array ids (0 ends a sentence), words: string[] (V, for a path),
//          cbow, window, negative, sample, alpha, minAlpha, epochs, threads, seed, power,
//          cancel: Int32Array[>=1], onProgress(fn), progressIntervalMs, word2vecCompat: boolean)
//          -> Promise<stats>
Napi::Value JS_w2vTrain(const Napi::CallbackInfo& info) {
  RequireArgs(info, 23, "w2vTrain");
  Napi::Env env = info.Env();
  // JS arrays first: reading their elements can run getters (which could detach a buffer), so no
  // typed-array pointer is taken before they are read.
  std::vector<std::string> words;
  if (info[7].IsString()) {
    if (!info[8].IsArray()) ThrowType(env, "words must be an array of strings");
    Napi::Array wa = info[8].As<Napi::Array>();
    if (wa.Length() > (uint32_t(1) << 30)) ThrowRange(env, "words is too long");
    words.resize(wa.Length());
    for (uint32_t k = 0; k < wa.Length(); ++k) {
      Napi::Value w = wa.Get(k);
      if (!w.IsString()) ThrowType(env, "words[" + std::to_string(k) + "] must be a string");
      words[k] = w.As<Napi::String>().Utf8Value();
    }
  }
  auto job = std::make_shared<Job>();
  TrainConfig& cfg = job->cfg;
  job->counts = GetCounts(info, 2, "counts");
  const int64_t V = int64_t(job->counts.size());
  if (V < 2)
    ThrowRange(env, "counts must have at least 2 entries (</s> and one word), got " + std::to_string(V));
  if (V >= (int64_t(1) << 31) - 1) ThrowRange(env, "vocabulary too large");
  const int64_t D = GetInt(info, 3, "D", 1, 1 << 16);
  const int64_t rows = GetInt(info, 4, "inputRows", V, (int64_t(1) << 31) - 1);
  auto syn0 = GetArrayExact<float>(info, 0, "syn0", Numel(env, {rows, D}, "syn0 shape"));
  auto syn1 = GetArrayExact<float>(info, 1, "syn1neg", Numel(env, {V, D}, "syn1neg shape"));
  if (Overlaps(syn0, syn1)) ThrowRange(env, "syn0 and syn1neg must not share memory");
  auto ip = GetArray<int32_t>(info, 5, "subIndptr");
  auto ix = GetArray<int32_t>(info, 6, "subIndices");
  if (ip.length != 0) {
    if (int64_t(ip.length) != V + 1)
      ThrowRange(env, "subIndptr has " + std::to_string(ip.length) + " elements, expected 0 or " +
                          std::to_string(V + 1));
    if (ip.data[0] != 0) ThrowRange(env, "subIndptr[0] must be 0");
    for (int64_t w = 0; w < V; ++w) {
      if (ip.data[w + 1] < ip.data[w]) ThrowRange(env, "subIndptr must be non-decreasing");
      if (ip.data[w + 1] - ip.data[w] > 100000) ThrowRange(env, "a word has more than 100000 subwords");
    }
    if (int64_t(ip.data[V]) != int64_t(ix.length))
      ThrowRange(env, "subIndptr[V] must equal the length of subIndices");
    for (size_t k = 0; k < ix.length; ++k)
      if (ix.data[k] < 0 || ix.data[k] >= rows)
        ThrowRange(env, "subIndices[" + std::to_string(k) + "] is out of range [0, inputRows)");
    job->indptr.assign(ip.data, ip.data + ip.length);
    job->indices.assign(ix.data, ix.data + ix.length);
  }
  if (info[7].IsString()) {
    cfg.path = info[7].As<Napi::String>().Utf8Value();
    CheckReadable(env, cfg.path);
    job->index = std::make_unique<WordIndex>(words);
    cfg.index = job->index.get();
    if (int64_t(words.size()) != V)
      ThrowRange(env,
                 "words has " + std::to_string(words.size()) + " entries, expected " + std::to_string(V));
  } else {
    auto ids = GetArray<int32_t>(info, 7, "corpus");
    for (size_t k = 0; k < ids.length; ++k)
      if (ids.data[k] < 0 || ids.data[k] >= V)
        ThrowRange(env, "corpus[" + std::to_string(k) + "] = " + std::to_string(ids.data[k]) +
                            " is out of range [0, " + std::to_string(V) + ")");
    job->ids.assign(ids.data, ids.data + ids.length);
  }
  cfg.cbow = GetBool(info, 9, "cbow");
  cfg.window = int(GetInt(info, 10, "window", 1, 10000));
  cfg.negative = int(GetInt(info, 11, "negative", 0, 10000));
  double sample = GetFiniteNumber(info, 12, "sample");
  double alpha = GetFiniteNumber(info, 13, "alpha");
  double min_alpha = GetFiniteNumber(info, 14, "minAlpha");
  cfg.epochs = int(GetInt(info, 15, "epochs", 1, 1000000));
  cfg.threads = int(GetInt(info, 16, "threads", 1, 1024));
  cfg.seed = uint64_t(GetInt(info, 17, "seed", 0, int64_t(1) << 53));
  double power = GetFiniteNumber(info, 18, "power");
  auto ctl = GetArray<int32_t>(info, 19, "cancel", 1);
  Napi::Function on_progress = GetFunction(info, 20, "onProgress");
  double interval = GetFiniteNumber(info, 21, "progressIntervalMs");
  cfg.subsample_low_bits = GetBool(info, 22, "word2vecCompat");
  if (sample < 0) ThrowRange(env, "sample must be >= 0");
  if (!(alpha > 0) || alpha > 10) ThrowRange(env, "alpha must be in (0, 10]");
  if (min_alpha < 0 || min_alpha > alpha) ThrowRange(env, "minAlpha must be in [0, alpha]");
  if (power < 0 || power > 4) ThrowRange(env, "power must be in [0, 4]");
  if (interval < 1) ThrowRange(env, "progressIntervalMs must be >= 1");
  if (Overlaps(ctl, syn0) || Overlaps(ctl, syn1))
    ThrowRange(env, "cancel must not share memory with the weights");
  int64_t train_words = 0;
  for (double c : job->counts) train_words += int64_t(c);
  if (train_words <= 0) ThrowRange(env, "counts must sum to a positive number of words");
  double z = 0;
  for (double c : job->counts) z += std::pow(c, power);
  if (!(z > 0)) ThrowRange(env, "counts^power must have a positive sum");

  job->env = env;
  job->table = unigram_table_build(job->counts.data(), V, power, sgns::kUnigramTableSize);
  job->exp_table = sgns_exp_table();
  cfg.syn0 = syn0.data;
  cfg.syn1neg = syn1.data;
  cfg.D = D;
  cfg.V = V;
  cfg.input_rows = rows;
  cfg.counts = job->counts.data();
  cfg.sub_indptr = job->indptr.empty() ? nullptr : job->indptr.data();
  cfg.sub_indices = job->indptr.empty() ? nullptr : job->indices.data();
  cfg.ids = info[7].IsString() ? nullptr : job->ids.data();
  cfg.n_ids = int64_t(job->ids.size());
  if (!info[7].IsString() && job->ids.empty()) {
    static const int32_t kEmpty = 0;
    cfg.ids = &kEmpty;  // an empty corpus ends at once
  }
  cfg.sample = float(sample);
  cfg.alpha = float(alpha);
  cfg.min_alpha = float(min_alpha);
  cfg.train_words = train_words;
  cfg.table = &job->table;
  cfg.exp_table = job->exp_table.data();
  cfg.cancel = reinterpret_cast<const int32_t*>(&job->cancel);
  job->js_cancel = ctl.data;
  job->interval_ms = interval;
  job->refs.push_back(Keep(env, info[0]));
  job->refs.push_back(Keep(env, info[1]));
  job->refs.push_back(Keep(env, info[19]));
  job->deferred = std::make_unique<Napi::Promise::Deferred>(env);
  job->tsfn = Tsfn::New(env, on_progress, "w2vTrain", 0, 1, job.get());
  Start(job);
  return job->deferred->Promise();
}

// ---- Queries ---------------------------------------------------------------------------------

// w2vNormalizeRows(out[N*D], in[N*D], N, D); out may be in.
Napi::Value JS_w2vNormalizeRows(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "w2vNormalizeRows");
  Napi::Env env = info.Env();
  int64_t N = GetInt(info, 2, "N"), D = GetInt(info, 3, "D");
  int64_t n = Numel(env, {N, D}, "shape");
  auto out = GetArrayExact<float>(info, 0, "out", n);
  auto in = GetArrayExact<float>(info, 1, "in", n);
  if (Overlaps(out, in) && out.data != in.data) ThrowRange(env, "out must be in itself or not overlap it");
  normalize_rows_cpu(out.data, in.data, N, D);
  return env.Undefined();
}

// w2vRowsDot(out[N], matrix[N*D], query[D], N, D)
Napi::Value JS_w2vRowsDot(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "w2vRowsDot");
  Napi::Env env = info.Env();
  int64_t N = GetInt(info, 3, "N"), D = GetInt(info, 4, "D");
  auto out = GetArrayExact<float>(info, 0, "out", N);
  auto m = GetArrayExact<float>(info, 1, "matrix", Numel(env, {N, D}, "matrix shape"));
  auto q = GetArrayExact<float>(info, 2, "query", D);
  if (Overlaps(out, m) || Overlaps(out, q)) ThrowRange(env, "out must not share memory with an input");
  rows_dot_cpu(out.data, m.data, q.data, N, D);
  return env.Undefined();
}

// w2vTopK(outIdx[k], outScore[k], matrix[N*D], query[D], N, D, k, exclude) -> found
Napi::Value JS_w2vTopK(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "w2vTopK");
  Napi::Env env = info.Env();
  int64_t N = GetInt(info, 4, "N", 0, (int64_t(1) << 31) - 1), D = GetInt(info, 5, "D"),
          k = GetInt(info, 6, "k", 0, 1 << 24);
  auto oi = GetArrayExact<int32_t>(info, 0, "outIdx", k);
  auto os = GetArrayExact<float>(info, 1, "outScore", k);
  auto m = GetArrayExact<float>(info, 2, "matrix", Numel(env, {N, D}, "matrix shape"));
  auto q = GetArrayExact<float>(info, 3, "query", D);
  auto ex = GetArray<int32_t>(info, 7, "exclude");
  if (Overlaps(oi, os) || Overlaps(oi, m) || Overlaps(oi, q) || Overlaps(os, m) || Overlaps(os, q) ||
      Overlaps(oi, ex) || Overlaps(os, ex))
    ThrowRange(env, "outputs must not share memory with each other or an input");
  return Napi::Number::New(
      env, double(topk_dot_cpu(oi.data, os.data, m.data, q.data, N, D, k, ex.data, int64_t(ex.length))));
}

// w2vTopKScores(outIdx[k], outScore[k], scores[N], N, k, exclude) -> found
Napi::Value JS_w2vTopKScores(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "w2vTopKScores");
  Napi::Env env = info.Env();
  int64_t N = GetInt(info, 3, "N", 0, (int64_t(1) << 31) - 1), k = GetInt(info, 4, "k", 0, 1 << 24);
  auto oi = GetArrayExact<int32_t>(info, 0, "outIdx", k);
  auto os = GetArrayExact<float>(info, 1, "outScore", k);
  auto s = GetArrayExact<float>(info, 2, "scores", N);
  auto ex = GetArray<int32_t>(info, 5, "exclude");
  if (Overlaps(oi, os) || Overlaps(oi, s) || Overlaps(os, s) || Overlaps(oi, ex) || Overlaps(os, ex))
    ThrowRange(env, "outputs must not share memory with each other or an input");
  return Napi::Number::New(
      env, double(topk_scores_cpu(oi.data, os.data, s.data, N, k, ex.data, int64_t(ex.length))));
}

// ftHash(bytes: Uint8Array) -> uint32
Napi::Value JS_ftHash(const Napi::CallbackInfo& info) {
  RequireArgs(info, 1, "ftHash");
  auto b = GetArray<uint8_t>(info, 0, "bytes");
  return Napi::Number::New(info.Env(),
                           double(fasttext_hash(reinterpret_cast<const char*>(b.data), b.length)));
}

void GetNgramArgs(const Napi::CallbackInfo& info, size_t at, int* minn, int* maxn) {
  *minn = int(GetInt(info, at, "minn", 0, 64));
  *maxn = int(GetInt(info, at + 1, "maxn", 0, 64));
}

// ftSubwords(words: string[], minn, maxn, bucket, nwords, withWordIds) -> {indptr, indices}
// With withWordIds, word i's list starts with i and "</s>" gets no n-grams (Dictionary::initNgrams).
Napi::Value JS_ftSubwords(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "ftSubwords");
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) ThrowType(env, "words must be an array of strings");
  int minn, maxn;
  GetNgramArgs(info, 1, &minn, &maxn);
  int64_t bucket = GetInt(info, 3, "bucket", 0, (int64_t(1) << 30));
  int64_t nwords = GetInt(info, 4, "nwords", 0, (int64_t(1) << 30));
  bool with_ids = GetBool(info, 5, "withWordIds");
  Napi::Array wa = info[0].As<Napi::Array>();
  if (with_ids && int64_t(wa.Length()) > nwords) ThrowRange(env, "withWordIds needs words.length <= nwords");
  std::vector<int32_t> indptr{0}, indices;
  for (uint32_t k = 0; k < wa.Length(); ++k) {
    Napi::Value w = wa.Get(k);
    if (!w.IsString()) ThrowType(env, "words[" + std::to_string(k) + "] must be a string");
    std::string s = w.As<Napi::String>().Utf8Value();
    if (with_ids) indices.push_back(int32_t(k));
    if (!(with_ids && s == "</s>"))
      fasttext_subwords("<" + s + ">", minn, maxn, bucket, nwords, &indices, nullptr);
    indptr.push_back(int32_t(indices.size()));
  }
  Napi::Object o = Napi::Object::New(env);
  Napi::Int32Array ip = Napi::Int32Array::New(env, indptr.size());
  Napi::Int32Array ix = Napi::Int32Array::New(env, indices.size());
  if (!indptr.empty()) std::memcpy(ip.Data(), indptr.data(), indptr.size() * 4);
  if (!indices.empty()) std::memcpy(ix.Data(), indices.data(), indices.size() * 4);
  o.Set("indptr", ip);
  o.Set("indices", ix);
  return o;
}

// ftNgrams(word, minn, maxn) -> string[]: the n-grams of "<word>" in fastText's order.
Napi::Value JS_ftNgrams(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "ftNgrams");
  Napi::Env env = info.Env();
  std::string w = GetString(info, 0, "word");
  int minn, maxn;
  GetNgramArgs(info, 1, &minn, &maxn);
  std::vector<std::string> grams;
  fasttext_subwords("<" + w + ">", minn, maxn, 0, 0, nullptr, &grams);
  Napi::Array out = Napi::Array::New(env, grams.size());
  for (size_t i = 0; i < grams.size(); ++i) out.Set(uint32_t(i), Napi::String::New(env, grams[i]));
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  napi_add_env_cleanup_hook(env, StopJobs, static_cast<void*>(static_cast<napi_env>(env)));
  exports.Set("w2vExpTable", Napi::Function::New(env, JS_w2vExpTable));
  exports.Set("w2vUnigramStarts", Napi::Function::New(env, JS_w2vUnigramStarts));
  exports.Set("w2vUnigramLookup", Napi::Function::New(env, JS_w2vUnigramLookup));
  exports.Set("w2vDrawNegatives", Napi::Function::New(env, JS_w2vDrawNegatives));
  exports.Set("w2vSubsampleRan", Napi::Function::New(env, JS_w2vSubsampleRan));
  exports.Set("w2vInitVectors", Napi::Function::New(env, JS_w2vInitVectors));
  exports.Set("w2vCountFile", Napi::Function::New(env, JS_w2vCountFile));
  exports.Set("w2vTrain", Napi::Function::New(env, JS_w2vTrain));
  exports.Set("w2vNormalizeRows", Napi::Function::New(env, JS_w2vNormalizeRows));
  exports.Set("w2vRowsDot", Napi::Function::New(env, JS_w2vRowsDot));
  exports.Set("w2vTopK", Napi::Function::New(env, JS_w2vTopK));
  exports.Set("w2vTopKScores", Napi::Function::New(env, JS_w2vTopKScores));
  exports.Set("ftHash", Napi::Function::New(env, JS_ftHash));
  exports.Set("ftSubwords", Napi::Function::New(env, JS_ftSubwords));
  exports.Set("ftNgrams", Napi::Function::New(env, JS_ftNgrams));
}

}  // namespace
TK_REGISTER_BINDING(word2vec, Init);
}  // namespace tk::binding
