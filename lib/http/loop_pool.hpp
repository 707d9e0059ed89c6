// lib/http/loop_pool.hpp
// Event loops, one per thread: N io_contexts, each run by a thread of its
// own. Threads sharing one io_context take turns in one epoll_wait, hand
// each other handlers and lock one handler queue; per-thread loops share
// none of that (12-17 % less server CPU per echoed ack on 2 cores,
// bench/profile-notes.md). http::server deals its connections
// out over loops() (server_settings::loops).
//
//   http::loop_pool pool{2};
//   settings.loops = pool.loops();
//   http::server srv{pool.first(), settings, handler};
//   srv.start();
//   pool.start();          // a thread per loop
//   ...
//   srv.stop(); pool.stop();
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace sio::http {

class loop_pool {
 public:
  /// What a loop's thread runs; it must call loop.run() (and may set
  /// itself up around it: a thread name, an actor system's bookkeeping).
  using thread_body = std::function<void(asio::io_context& loop)>;

  /// `loops` event loops (at least 1); no thread runs them before start().
  explicit loop_pool(size_t loops);
  /// Stops (see stop()) and destroys the loops.
  ~loop_pool();

  loop_pool(const loop_pool&) = delete;
  loop_pool& operator=(const loop_pool&) = delete;

  /// The first loop: for listeners, timers and HTTP clients.
  asio::io_context& first() noexcept { return *loops_.front(); }
  /// The i-th loop (i < size()).
  asio::io_context& operator[](size_t i) noexcept { return *loops_[i]; }
  /// Every loop, in order (for server_settings::loops).
  std::vector<asio::io_context*> loops() const;
  /// How many loops (and, once started, threads) there are.
  size_t size() const noexcept { return loops_.size(); }

  /// Starts one thread per loop, each running `body` (default: loop.run()).
  /// The loops keep running when they run out of work, until stop().
  void start(thread_body body = {});
  /// Lets the loops return, stops them and joins their threads; handlers
  /// not run yet stay queued until release(). Call it from outside the
  /// loops' threads. Idempotent.
  void stop();
  /// Destroys the loops, with whatever they still hold (stop() first).
  /// The first loop goes first: a pending accept there holds the socket it
  /// opened for another loop, whose reactor must still be there to take it
  /// back. Idempotent; nothing may use the loops afterwards.
  void release();

 private:
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

} // namespace sio::http
