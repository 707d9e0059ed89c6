#include "actors/session_upgrade.hpp"

#include "actors/session_engineio.hpp"
#include "actors/session_metrics.hpp"

#include <memory>
#include <utility>

namespace sio::session {

ws_link* probe_of(session_state& st) {
  return st.polling && st.polling->probe.conn ? &st.polling->probe : nullptr;
}

void on_ws_open(self_ptr self, ws_link& link) {
  auto& st = self->state;
  if (st.closed || st.websocket || probe_of(st)) {
    // One WebSocket per session; a second one is closed at once.
    attach_ws(self, link);
    link.conn->close(1008, "session already has a WebSocket");
    return;
  }
  auto& probe = st.polling->probe;
  probe = std::move(link);
  attach_ws(self, probe);
  schedule(self, st.ctx->settings.upgrade_timeout,
           session_timer::upgrade_timeout, ++st.upgrade_gen);
}

void on_probe_frame(self_ptr self, std::string& data, bool binary) {
  auto& st = self->state;
  auto& pl = *st.polling;
  if (!binary && data == "2probe") {
    pl.probe.conn->send(std::make_shared<const std::string>("3probe"), false);
    // Flush a waiting GET so that the client can pause polling.
    if (pl.poll && pl.queue.empty()) {
      pl.poll->respond(http::response::text(200, "6"));
      pl.poll.reset();
    }
    schedule(self, std::chrono::milliseconds{100}, session_timer::noop_flush,
             st.upgrade_gen);
    return;
  }
  if (!binary && data == "5") {
    // Upgrade complete: the probe becomes the transport.
    st.websocket = true;
    st.ws = ws_transport{pl.probe.id, std::move(pl.probe.conn)};
    ++st.upgrade_gen;
    count_transport(self, "polling", "websocket");
    if (pl.poll)
      pl.poll->respond(http::response::text(200, "6"));
    for (auto& p : pl.queue)
      st.ws.conn->send(p.frame, p.binary);
    st.polling.reset(); // polling is over for good
    // From here on the hub may write fan-out to the WebSocket itself, once
    // this session has written what the hub routed through it (hub.cpp,
    // fanout_handoff).
    self->send(st.hub, socket_upgraded{st.connection_id, st.ws.conn});
    return;
  }
  // Anything else on a probe before the upgrade closes the probe.
  pl.probe.conn->close(1002, "unexpected packet during upgrade");
  pl.probe = ws_link{};
  ++st.upgrade_gen;
}

void on_probe_closed(self_ptr self) {
  auto& st = self->state;
  st.polling->probe = ws_link{};
  ++st.upgrade_gen;
}

void on_upgrade_timeout(self_ptr self, uint64_t gen) {
  auto& st = self->state;
  if (auto* probe = probe_of(st);
      !st.closed && probe && gen == st.upgrade_gen) {
    probe->conn->close(1000, "upgrade timeout");
    *probe = ws_link{};
    ++st.upgrade_gen;
  }
}

void on_noop_flush(self_ptr self, uint64_t gen) {
  auto& st = self->state;
  if (!st.closed && probe_of(st) && gen == st.upgrade_gen) {
    auto& pl = *st.polling;
    if (pl.poll && pl.queue.empty()) {
      pl.poll->respond(http::response::text(200, "6"));
      pl.poll.reset();
    }
    schedule(self, std::chrono::milliseconds{100},
             session_timer::noop_flush, gen);
  }
}

} // namespace sio::session
