#include "actors/shutdown.hpp"

#include <caf/all.hpp>

#include <set>

namespace sio {

bool stop_and_await(caf::scoped_actor& waiter, const std::vector<caf::actor>& actors,
                    std::chrono::steady_clock::time_point deadline) {
  // By address, not by count: a DOWN from an earlier monitor of the same
  // actor, or from another actor, must not end the wait early.
  std::set<caf::actor_addr> running;
  for (auto& a : actors) {
    if (!a || !running.insert(a.address()).second)
      continue;
    waiter->monitor(a);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  if (running.empty())
    return true;
  return await_down(waiter, deadline, [&](const caf::down_msg& m) {
    running.erase(m.source);
    return running.empty();
  });
}

} // namespace sio
