// lib/http/spin_lock.hpp
// A one-byte lock for state that is held for a few instructions or one
// non-blocking system call. Used where a std::mutex (40 bytes) would sit in
// every connection: at 10k+ idle connections each byte counts (BENCHMARKS.md).
#pragma once

#include <atomic>
#include <thread>

namespace sio::http {

/// Satisfies Lockable (std::lock_guard, std::unique_lock). Waiters yield
/// their time slice instead of burning it: on a 2-core machine the holder
/// may be preempted, and spinning would only delay it.
class spin_lock {
public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire))
      while (locked_.load(std::memory_order_relaxed))
        std::this_thread::yield();
  }

  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed)
           && !locked_.exchange(true, std::memory_order_acquire);
  }

  void unlock() noexcept {
    locked_.store(false, std::memory_order_release);
  }

private:
  std::atomic<bool> locked_{false};
};

} // namespace sio::http
