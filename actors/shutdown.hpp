// actors/shutdown.hpp
// Ending a set of actors and waiting for them, bounded: what a service (or
// an application that wires its own actors) does before the io_context its
// sessions write to goes away, and before the actor system's destructor,
// which waits for every actor still running.
#pragma once

#include <caf/actor.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <vector>

namespace sio {

/// Sends each of `actors` an exit (user_shutdown), then receives DOWN
/// messages on `waiter` until every one of them is down or `deadline`
/// passes. Monitors them itself (an actor already gone reports DOWN at
/// once); DOWN messages of other actors, or repeated ones, are skipped.
/// Returns true if all ended in time.
bool stop_and_await(caf::scoped_actor& waiter, const std::vector<caf::actor>& actors,
                    std::chrono::steady_clock::time_point deadline);

/// Receives DOWN messages on `waiter` until `done(msg)` returns true (then
/// true) or `deadline` passes (then false).
template <class Done>
bool await_down(caf::scoped_actor& waiter,
                std::chrono::steady_clock::time_point deadline, Done done) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    bool finished = false;
    bool late = false;
    waiter->receive([&](caf::down_msg& m) { finished = done(m); },
                    caf::after(left) >> [&] { late = true; });
    if (late)
      return false;
    if (finished)
      return true;
  }
}

} // namespace sio
