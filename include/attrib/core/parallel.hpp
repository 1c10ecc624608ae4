#pragma once
// Opt-in parallelism (docs/threading.md): attrib starts threads only where the caller asks for
// them with ParallelOptions::threads > 1 (explain_batch, ParallelExplainer, BatchOptions::threads
// of the methods). There is no global pool: a WorkerTeam belongs to the object or the call that
// created it and joins its threads when it is destroyed.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "attrib/core/error.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Upper limit of ParallelOptions::threads and BatchOptions::threads.
inline constexpr Index max_threads = 1024;

/// How many threads a batch call may use: 1 (the default) runs everything in the caller's
/// thread and starts none; n > 1 uses the caller's thread plus n - 1 std::threads.
struct ParallelOptions {
  Index threads = 1;
};

namespace detail {

/// Items [begin, end) of worker w when n items are split into `workers` contiguous chunks
/// (sizes differ by at most one; the first chunks are the smaller ones).
inline std::pair<Index, Index> chunk_of(Index n, Index workers, Index w) {
  return {n * w / workers, n * (w + 1) / workers};
}

inline bool threads_ok(Index threads) { return threads >= 1 && threads <= max_threads; }

/// A fixed team of `size` workers: worker 0 is the thread that calls run(), workers 1 ..
/// size - 1 are std::threads started by the constructor, waiting between jobs, joined by the
/// destructor. run(job) calls job(w) once on every worker and returns when all are done; an
/// exception escaping job(w) is kept in error(w) (cleared by the next run). run() allocates
/// nothing (the job is passed by pointer); only the constructor allocates.
class WorkerTeam {
 public:
  explicit WorkerTeam(Index size) : size_(size < 1 ? 1 : size), errors_(static_cast<std::size_t>(size_)) {
    threads_.reserve(static_cast<std::size_t>(size_ - 1));
    for (Index w = 1; w < size_; ++w) threads_.emplace_back([this, w] { loop(w); });
  }
  WorkerTeam(const WorkerTeam&) = delete;
  WorkerTeam& operator=(const WorkerTeam&) = delete;
  ~WorkerTeam() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }

  Index size() const { return size_; }
  const std::exception_ptr& error(Index w) const { return errors_[static_cast<std::size_t>(w)]; }
  /// The first worker (by index) whose job threw, or -1.
  Index first_failed() const {
    for (Index w = 0; w < size_; ++w)
      if (errors_[static_cast<std::size_t>(w)]) return w;
    return -1;
  }

  template <class Job>
  void run(Job& job) {
    for (auto& e : errors_) e = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      call_ = [](void* j, Index w) { (*static_cast<Job*>(j))(w); };
      pending_ = size_ - 1;
      ++generation_;
    }
    start_.notify_all();
    guarded(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void guarded(Index w) {
#if ATTRIB_NO_EXCEPTIONS
    call_(job_, w);  // errors reach the installed handler (set_error_handler), which must not return
#else
    try {
      call_(job_, w);
    } catch (...) {
      errors_[static_cast<std::size_t>(w)] = std::current_exception();
    }
#endif
  }

  void loop(Index w) {
    unsigned long seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      guarded(w);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  Index size_;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  void* job_ = nullptr;
  void (*call_)(void*, Index) = nullptr;
  Index pending_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
};

/// Rethrows the exception of a failed item in the caller's thread: attrib's typed errors keep
/// their class and id, with "<who>: item <i> of <n>: " in front of the message; anything else
/// is rethrown unchanged.
[[noreturn]] inline void rethrow_for_item(const std::exception_ptr& e, const char* who, Index item, Index n) {
#if ATTRIB_NO_EXCEPTIONS
  (void)e, (void)who, (void)item, (void)n;
  std::abort();  // unreachable: without exceptions the handler never returns
#else
  const auto annotate = [&](const Error& x) {
    std::string msg = x.what();
    const std::string head = "[" + x.id() + "] ";
    if (msg.compare(0, head.size(), head) == 0) msg.erase(0, head.size());
    return detail::cat(who, ": item ", item, " of ", n, ": ", msg);
  };
  try {
    std::rethrow_exception(e);
  } catch (const ShapeError& x) {
    throw_error(ShapeError(x.id(), annotate(x)));
  } catch (const ParameterError& x) {
    throw_error(ParameterError(x.id(), annotate(x)));
  } catch (const RuleError& x) {
    throw_error(RuleError(x.id(), annotate(x)));
  } catch (const ArgumentError& x) {
    throw_error(ArgumentError(x.id(), annotate(x)));
  } catch (const IoError& x) {
    throw_error(IoError(x.id(), annotate(x)));
  }
  std::abort();  // unreachable: rethrow_exception always throws
#endif
}

}  // namespace detail

/// Calls fn(worker, item) for every item in [0, n) on min(p.threads, n) workers: contiguous
/// chunks in item order, one per worker; worker 0 is the caller's thread, the others are
/// std::threads started by this call and joined before it returns. fn must only touch what
/// belongs to its item or its worker. A worker stops at its first failing item; the error of the
/// first failing item overall (the one a sequential loop would meet) is rethrown in the caller's
/// thread, unchanged.
template <class Fn>
void parallel_for(Index n, ParallelOptions p, Fn&& fn) {
  if (!detail::threads_ok(p.threads))
    raise<ParameterError>("param.062", "parallel_for: threads = ", p.threads, ", expected 1 to ", max_threads);
  const Index workers = std::min<Index>(p.threads, n);
  if (workers <= 1) {
    for (Index i = 0; i < n; ++i) fn(Index(0), i);
    return;
  }
  detail::WorkerTeam team(workers);
  auto job = [&](Index w) {
    const auto [b, e] = detail::chunk_of(n, workers, w);
    for (Index i = b; i < e; ++i) fn(w, i);
  };
  team.run(job);
  const Index failed = team.first_failed();
  if (failed >= 0) std::rethrow_exception(team.error(failed));
}

ATTRIB_END_NAMESPACE
