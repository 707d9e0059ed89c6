#include "actors/session_heartbeat.hpp"

#include "actors/session_engineio.hpp"
#include "actors/session_sockets.hpp"

#include <algorithm>

namespace sio {

namespace session {

void start_heartbeat(self_ptr self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  st.heartbeat_due = now + st.ctx->settings.ping_interval;
  st.connect_deadline = now + st.ctx->settings.connect_timeout;
  st.connect_settled = st.ctx->settings.engineio_echo;
  arm_heartbeat(self);
}

/// Makes sure a heartbeat tick comes by the next thing due: the ping, the
/// pong deadline, the connect deadline or a connect verdict's. One timer
/// scheme for all of them: an idle session holds one wheel entry (a
/// pointer) and no CAF timer (~240 bytes each); only the last stretch
/// before a deadline is timed by CAF, so that no deadline fires late.
void arm_heartbeat(self_ptr self) {
  auto& st = self->state;
  auto due = st.heartbeat_due;
  if (!st.connect_settled)
    due = std::min(due, st.connect_deadline);
  for (auto& [nsp, s] : st.sockets)
    if (!s.connected)
      due = std::min(due, s.verdict_due);
  if (st.wake_count > 0 && st.wakes[0] <= due)
    return; // an earlier tick re-arms when it comes
  // Earliest first; when full, the latest is forgotten (its tick still
  // comes and only re-evaluates).
  st.wakes[1] = st.wakes[0];
  st.wakes[0] = due;
  st.wake_count = static_cast<uint8_t>(std::min<size_t>(st.wake_count + 1u, st.wakes.size()));
  auto now = std::chrono::steady_clock::now();
  auto& wheel = st.ctx->settings.heartbeat_wheel;
  if (wheel && due - now > wheel->resolution()) {
    // The wheel comes up to one resolution late: ask it for the moment one
    // resolution before `due`; that tick times the rest exactly (below).
    wheel->wake_at(due - wheel->resolution(),
                   caf::actor_cast<caf::strong_actor_ptr>(self));
    return;
  }
  // Deadlines are kept to the configured value: a CAF timer, pending only
  // for the last stretch (at most one wheel resolution), so idle sessions
  // still hold no timer of CAF's. Rounded up: never before `due`.
  auto left = std::chrono::ceil<std::chrono::microseconds>(due - now);
  self->delayed_send(self, std::max(left, std::chrono::microseconds{0}),
                     tick_atom::value,
                     static_cast<uint8_t>(session_timer::heartbeat), uint64_t{0});
}

/// Before a request is taken: the reference server has closed the session
/// by then, even if our tick is still on its way.
bool close_if_pong_overdue(self_ptr self) {
  auto& st = self->state;
  if (!st.closed && st.awaiting_pong
      && std::chrono::steady_clock::now() >= st.heartbeat_due)
    close_session(self, "ping timeout");
  return st.closed;
}

void on_heartbeat(self_ptr self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  // Each tracked entry is the latest time its tick can come. This tick is
  // taken to be the earliest tracked one; if it was another (wheel and CAF
  // ticks may cross, or it was forgotten), the entries left are later than
  // the ticks truly pending, which costs a spare re-arm, never a deadline
  // waited for in vain.
  if (st.wake_count > 0) {
    st.wakes[0] = st.wakes[1];
    --st.wake_count;
  }
  if (st.closed)
    return;
  if (st.awaiting_pong && now >= st.heartbeat_due) {
    close_session(self, "ping timeout");
    return;
  }
  expire_verdicts(self, now);
  if (!st.connect_settled && now >= st.connect_deadline) {
    if (st.sockets.empty() && !st.ctx->settings.engineio_echo) {
      close_session(self, "forced server close");
      return;
    }
    st.connect_settled = true;
  }
  if (!st.awaiting_pong && now >= st.heartbeat_due) {
    send_eio(self, eio_packet_type::ping, {});
    st.awaiting_pong = true;
    st.heartbeat_due = now + st.ctx->settings.ping_timeout;
  }
  arm_heartbeat(self);
}

void on_pong(self_ptr self) {
  auto& st = self->state;
  if (st.awaiting_pong) {
    st.awaiting_pong = false;
    st.heartbeat_due = std::chrono::steady_clock::now() + st.ctx->settings.ping_interval;
    arm_heartbeat(self);
  }
}

} // namespace session

std::shared_ptr<tick_wheel> make_heartbeat_wheel() {
  return std::make_shared<tick_wheel>(
    std::chrono::milliseconds{10},
    caf::make_message(tick_atom::value,
                      static_cast<uint8_t>(session::session_timer::heartbeat), uint64_t{0}));
}

} // namespace sio
