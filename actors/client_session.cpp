// The client_session actor: its start and its message handlers. The parts
// it is made of (session_*.hpp) are free functions of the actor pointer:
// the Engine.IO layer, the long-polling transport, the upgrade, the
// heartbeat and the Socket.IO layer.
#include "actors/client_session.hpp"

#include "actors/packed_handshake.hpp"
#include "actors/session_engineio.hpp"
#include "actors/session_heartbeat.hpp"
#include "actors/session_metrics.hpp"
#include "actors/session_polling.hpp"
#include "actors/session_sockets.hpp"
#include "actors/session_state.hpp"
#include "actors/session_upgrade.hpp"
#include "lib/protocol/eio_handshake.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

namespace sio {

std::shared_ptr<const session_context>
session_context::make(std::string hub_name, session_settings settings,
                      std::shared_ptr<session_registry> registry,
                      std::shared_ptr<metrics::registry> metrics,
                      inline_handler_ptr inline_events) {
  auto ctx = std::make_shared<session_context>();
  ctx->inline_events = std::move(inline_events);
  ctx->counters = metrics ? session_counters::make(*metrics, hub_name) : nullptr;
  ctx->hub_name = std::move(hub_name);
  ctx->registry_hub_name = std::make_shared<const std::string>(ctx->hub_name);
  ctx->settings = std::move(settings);
  ctx->registry = std::move(registry);
  ctx->metrics = std::move(metrics);
  return ctx;
}

namespace session {

namespace {

std::string handshake_text(self_ptr self, bool websocket) {
  auto& s = self->state.ctx->settings;
  protocol::handshake h;
  h.sid = self->state.connection_id;
  if (!websocket)
    h.upgrades.push_back("websocket");
  h.ping_interval = static_cast<uint32_t>(s.ping_interval.count());
  h.ping_timeout = static_cast<uint32_t>(s.ping_timeout.count());
  h.max_payload = s.max_payload;
  return protocol::encode_handshake(h);
}

client_session_actor::behavior_type
session_behavior(self_ptr self, session_config cfg, open_session open) {
  auto& st = self->state;
  st.connection_id = std::move(cfg.connection_id);
  st.user_id = std::move(cfg.info.user_id);
  st.ctx = std::move(cfg.context);
  st.handshake = pack_handshake(cfg.info);
  st.hub = std::move(cfg.hub);
  st.handler = std::move(cfg.handler);
  count_transport(self, "", open.websocket ? "websocket" : "polling");
  // Registered before the handshake reply leaves, so that the client's next
  // request finds this session.
  st.ctx->registry->add(
    st.connection_id,
    {st.ctx->registry_hub_name
       ? st.ctx->registry_hub_name
       : std::make_shared<const std::string>(st.ctx->hub_name),
     caf::actor_cast<client_session_actor>(self)});
  spdlog::info("connection opened hub={} connection={} transport={} user={} "
               "from={}",
               st.ctx->hub_name, st.connection_id,
               open.websocket ? "websocket" : "polling",
               st.user_id, cfg.info.remote_address);
  if (open.websocket) {
    st.websocket = true;
    attach_ws(self, open.ws);
    st.ws = ws_transport{open.ws.id, std::move(open.ws.conn)};
    send_eio(self, eio_packet_type::open, handshake_text(self, true));
  } else {
    st.polling = std::make_unique<polling_state>();
    auto r = http::response::text(
      200, std::string{"0"} + handshake_text(self, false));
    r.headers.emplace_back("Cache-Control", "no-store");
    open.ex.respond(std::move(r));
  }
  start_heartbeat(self);
  // An exit message (a supervisor's, stop_and_await's) ends the session as
  // a server close does: its sockets get their disconnected events, the hub
  // drops them and the sid goes at once (no wait for a last GET).
  self->set_exit_handler([self](caf::exit_msg& m) {
    close_session(self, "forced server close");
    finish(self);
    self->quit(std::move(m.reason));
  });
  return {
    [self](poll_atom, uint64_t id, http::exchange& ex) {
      on_poll(self, id, ex);
    },
    [self](post_atom, http::exchange& ex) { on_post(self, ex); },
    [self](ws_open_atom, ws_link& link) { on_ws_open(self, link); },
    [self](ws_msg_atom, uint64_t id, std::string& data, bool binary) {
      auto& st = self->state;
      if (close_if_pong_overdue(self))
        return;
      if (auto* probe = probe_of(st); probe && id == probe->id) {
        on_probe_frame(self, data, binary);
        return;
      }
      if (st.websocket && id == st.ws.id)
        on_ws_text_or_binary(self, data, binary);
    },
    [self](ws_closed_atom, uint64_t id, uint16_t code) {
      auto& st = self->state;
      if (auto* probe = probe_of(st); probe && id == probe->id) {
        on_probe_closed(self);
        return;
      }
      if (st.websocket && id == st.ws.id && !st.closed)
        close_session(self, code == 1000 || code == 1001 || code == 1005
                              || code == 1006
                            ? "transport close"
                            : "transport error");
    },
    [self](aborted_atom, uint64_t id) { on_poll_aborted(self, id); },
    [self](deliver_atom, wire_batch& batch) {
      if (!batch)
        return;
      for (auto& p : *batch)
        send_wire(self, p);
    },
    [self](close_atom, std::string& reason, bool stopping) {
      if (stopping)
        close_session(self, reason, close_wait::none);
      else
        close_session(self, reason);
    },
    [self](disconnect_atom, std::string& nsp, bool close) {
      on_server_disconnect(self, nsp, close);
    },
    [self](tick_atom, uint8_t which, uint64_t gen) {
      switch (static_cast<session_timer>(which)) {
        case session_timer::heartbeat:
          on_heartbeat(self);
          return;
        case session_timer::upgrade_timeout:
          on_upgrade_timeout(self, gen);
          return;
        case session_timer::noop_flush:
          on_noop_flush(self, gen);
          return;
        case session_timer::close_linger:
          if (self->state.closed)
            finish(self);
          return;
        case session_timer::fanout_marker:
          // Every delivery the hub sent before this marker came before it
          // in this mailbox and is written: the hub may now write directly.
          self->send(self->state.hub,
                     fanout_handoff{self->state.connection_id, gen});
          return;
        default:
          return; // not a timer of this session (the tick's value is any byte)
      }
    },
  };
}

} // namespace

} // namespace session

// Every handler of the session's behavior costs each connection 40 bytes
// in CAF 0.17: ten fit jemalloc's 448-byte class, eleven or twelve take 512
// or 640 (bench/profile-notes.md, "Memory per idle WebSocket connection").
static_assert(caf::detail::tl_size<client_session_actor::signatures>::value <= 10,
              "a session handler more costs every idle connection 64-192 bytes: "
              "fold it into an existing message (see tick_atom's marker)");

client_session_actor spawn_client_session(caf::actor_system& sys,
                                          session_config cfg,
                                          open_session open) {
  return sys.spawn(session::session_behavior, std::move(cfg), std::move(open));
}

} // namespace sio
