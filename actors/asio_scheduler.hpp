// actors/asio_scheduler.hpp
// A CAF scheduler that runs actors on the threads of Asio event loops, the
// same threads that do the network I/O. An event read from a socket, the
// session that decodes it, the handler that answers and the write of the
// answer then run on one thread, one after the other, instead of handing
// each step to another thread (CAF's own schedulers keep their workers apart
// from the network threads: every hop is a queue push and often a futex
// wake-up and a context switch).
//
//   caf::actor_system_config cfg;
//   sio::use_asio_scheduler(cfg, 2);     // before the actor_system exists
//   caf::actor_system sys{cfg};
//   sio::service svc{sys, ...};          // finds the io_context and uses it
//
// Each thread runs an io_context of its own (its own epoll set and handler
// queue): threads sharing one io_context take turns in one epoll_wait, hand
// each other handlers and lock one queue. Per-thread loops took 12-17 % off
// the server's CPU per echoed ack on 2 cores (bench/profile-notes.md).
// Connections are spread over the loops
// (http::server_settings::loops); an actor runs on the loop of the thread
// that scheduled it, or on the loops in turn when scheduled from outside.
//
// Trade-offs: an actor that computes for long delays the network I/O of the
// connections on its thread, as any event loop does; and a loop does not
// lend its work to an idle thread (connections are dealt out in turn, so
// the loops carry alike on average). Handlers that block or
// run long belong in a detached actor (caf::detached) or on CAF's default
// scheduler (do not call use_asio_scheduler).
#pragma once

#include "lib/http/loop_pool.hpp"

#include <asio/io_context.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace sio {

class asio_scheduler final : public caf::scheduler::abstract_coordinator {
public:
  /// `threads` threads (at least 1), each running its own io_context.
  asio_scheduler(caf::actor_system& sys, size_t threads);
  ~asio_scheduler() override;

  /// The first loop (for listeners, timers and HTTP clients); valid until
  /// the actor system stops.
  asio::io_context& io() noexcept { return pool_.first(); }
  /// Every loop, one per thread; valid until the actor system stops.
  std::vector<asio::io_context*> loops() const { return pool_.loops(); }
  /// How many threads (and loops) there are.
  size_t threads() const noexcept { return pool_.size(); }

  /// The asio_scheduler of `sys`, or nullptr when it runs another scheduler.
  static asio_scheduler* of(caf::actor_system& sys) noexcept;

  void enqueue(caf::resumable* job) override;
  caf::actor_clock& clock() noexcept override { return clock_; }

  /// A loop thread's execution context (defined in the .cpp).
  class unit;

protected:
  void init(caf::actor_system_config& cfg) override;
  void start() override;
  void stop() override;

private:
  struct job_handler;

  /// Runs `job` once on the calling scheduler thread.
  void resume(caf::resumable* job);
  void resume_on(unit& u, caf::resumable* job);
  /// Queues `job`: on the calling thread's own loop when it is one of ours,
  /// else on the loops in turn.
  void schedule(caf::resumable* job);

  http::loop_pool pool_;
  /// Picks the loop for a job scheduled from outside the loops.
  std::atomic<size_t> next_loop_{0};
  caf::detail::thread_safe_actor_clock clock_;
  std::thread clock_thread_;
  /// Set once the loop threads are gone (in stop()).
  std::atomic<bool> stopped_{false};
};

/// Installs an asio_scheduler with `threads` threads in `cfg` (call before
/// constructing the actor_system). sio::service then runs its network I/O
/// on the same threads instead of starting its own.
void use_asio_scheduler(caf::actor_system_config& cfg, size_t threads);

} // namespace sio
