// actors/tick_wheel.hpp
// Coarse wake-ups for many actors at the cost of one pointer each.
#pragma once

#include <caf/actor_control_block.hpp>
#include <caf/message.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace sio {

/// Delivers one fixed message to actors at times they ask for, to within
/// `resolution` and never early. The owner of the deadlines stays the
/// actor: the wheel only wakes it, and the actor decides what is due.
///
/// Why not CAF's delayed_send: in CAF 0.17 a pending delayed message is a
/// mailbox element plus a node in the clock's multimap (~240 bytes) and
/// cannot be cancelled; every idle session keeps one for its next ping.
/// Here a pending wake-up is one actor pointer in its time slot's vector.
/// The message is built once and shared by every delivery.
///
/// Thread-safe; one thread of its own sends the messages.
class tick_wheel {
public:
  using clock = std::chrono::steady_clock;

  tick_wheel(std::chrono::milliseconds resolution, caf::message tick);
  /// stop()
  ~tick_wheel();
  tick_wheel(const tick_wheel&) = delete;
  tick_wheel& operator=(const tick_wheel&) = delete;

  /// Sends the tick to `who` at `due` or up to one resolution later. The
  /// pointer keeps the actor's memory (not the actor) alive until then.
  void wake_at(clock::time_point due, caf::strong_actor_ptr who);

  /// How late a wake-up may come: an owner with a deadline to keep exactly
  /// asks for `due - resolution()` and times the rest itself.
  clock::duration resolution() const { return resolution_; }

  /// Drops every pending wake-up of `who`, an actor that is done: its
  /// memory goes with its last pointer now instead of at its latest
  /// wake-up (a minute away with a long pingInterval). Cancellations are
  /// batched: the wheel's thread removes them in one pass over the pending
  /// wake-ups once they are a sixteenth of them, or a second after the
  /// first, so that closing many actors costs O(1) each.
  void cancel(caf::strong_actor_ptr who);

  /// Wake-ups not yet delivered nor cancelled by a pass (for tests and
  /// metrics).
  size_t pending() const;

  /// Stops the thread and drops the pending wake-ups (and so the actor
  /// pointers) now, e.g. while the actor system is still up; later
  /// wake_at() calls are ignored. Idempotent.
  void stop();

private:
  /// The longest a cancelled actor waits for the pass that drops it.
  static constexpr std::chrono::seconds max_sweep_delay{1};

  void run();
  /// Removes the wake-ups of the actors in cancelled_; returns the pointers
  /// to release (outside the lock: releasing one may destroy an actor).
  std::vector<caf::strong_actor_ptr> sweep_cancelled();

  const clock::duration resolution_;
  const clock::time_point epoch_;
  const caf::message tick_;
  mutable std::mutex mtx_;
  std::condition_variable wakeup_;
  /// Slot n covers (epoch + (n-1) * resolution, epoch + n * resolution].
  std::map<int64_t, std::vector<caf::strong_actor_ptr>> slots_;
  size_t pending_ = 0;
  /// Actors whose wake-ups go at the next pass; held, so that none of
  /// their memory is reused by another actor before then.
  std::vector<caf::strong_actor_ptr> cancelled_;
  /// When the next pass is due (if cancelled_ is not empty).
  clock::time_point sweep_at_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace sio
