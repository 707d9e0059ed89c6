#include "actors/session_engineio.hpp"

#include "actors/session_heartbeat.hpp"
#include "actors/session_metrics.hpp"
#include "actors/session_polling.hpp"
#include "actors/session_sockets.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/event_offset.hpp"
#include "lib/protocol/sio_encoder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace sio::session {

namespace {

wire_packet make_wire(eio_packet_type type, std::string_view data) {
  auto frame = std::make_shared<std::string>();
  frame->reserve(data.size() + 1);
  frame->push_back(protocol::to_digit(type));
  frame->append(data);
  return {false, std::move(frame)};
}

wire_packet make_wire(const eio_packet& p) {
  if (p.binary)
    return {true, std::make_shared<const std::string>(p.data)};
  return make_wire(p.type, p.data);
}

} // namespace

void send_wire(self_ptr self, const wire_packet& p) {
  auto& st = self->state;
  if (st.closed)
    return;
  count_cached(&session_counters::packets_out, st);
  if (st.websocket) {
    st.ws.conn->send(p.frame, p.binary);
    return;
  }
  queue_for_poll(self, p);
}

void send_eio(self_ptr self, eio_packet_type type, std::string_view data) {
  send_wire(self, make_wire(type, data));
}

void send_sio(self_ptr self, const sio_packet& p) {
  send_wire(self,
            {false, std::make_shared<const std::string>(
                      protocol::encode_message(p))});
  for (auto& a : p.attachments)
    send_wire(self, {true, std::make_shared<const std::string>(a)});
}

namespace {

/// With recovery, a reply that holds an event goes through the hub, as a
/// send to this connection: the event gets its offset and is logged like
/// every other (Socket.IO's socket.emit does the same through its adapter).
/// False when the reply can go straight to the client.
bool relay_through_hub(self_ptr self, const std::vector<wire_packet>& packets) {
  auto& st = self->state;
  if (!st.ctx->settings.recovery)
    return false;
  bool has_event = std::any_of(packets.begin(), packets.end(), [](const wire_packet& p) {
    return !p.binary && protocol::offset_namespace(*p.frame);
  });
  if (!has_event)
    return false;
  self->send(st.hub, send_command{target::connection(st.connection_id),
                                  std::make_shared<const std::vector<wire_packet>>(packets)});
  return true;
}

} // namespace

/// Relays a handler's Engine.IO payload to the client. A single text packet
/// (an ack: the usual reply) is its own frame text, so it is moved into the
/// frame as it is rather than decoded and copied twice.
void relay_payload(self_ptr self, std::string payload) {
  protocol::payload_limits limits;
  limits.max_packet_size = self->state.ctx->settings.max_payload;
  if (protocol::is_single_text_packet(payload, limits)) {
    wire_packet p{false, std::make_shared<const std::string>(std::move(payload))};
    if (!relay_through_hub(self, {p}))
      send_wire(self, p);
    return;
  }
  auto packets = protocol::decode_payload(payload, limits);
  if (!packets) {
    spdlog::warn("dropped handler reply for connection={}: {}",
                 self->state.connection_id, packets.error());
    return;
  }
  std::vector<wire_packet> wires;
  wires.reserve(packets->size());
  for (auto& p : *packets)
    wires.push_back(make_wire(p));
  if (relay_through_hub(self, wires))
    return;
  for (auto& w : wires)
    send_wire(self, w);
}

void on_packet(self_ptr self, eio_packet& p) {
  auto& st = self->state;
  if (st.closed)
    return;
  switch (p.type) {
    case eio_packet_type::message:
      // Polling payloads come decoded: the message gets its '4' back.
      if (!p.binary)
        p.data.insert(p.data.begin(), protocol::to_digit(p.type));
      on_message(self, p.data, p.binary);
      return;
    case eio_packet_type::pong:
      on_pong(self);
      return;
    case eio_packet_type::close:
      // As the reference server does, a pending GET gets a noop and the
      // session ends at once (the next GET gets 400).
      if (st.polling && st.polling->poll) {
        st.polling->poll->respond(http::response::text(200, "6"));
        st.polling->poll.reset();
      }
      close_session(self, "transport close");
      return;
    case eio_packet_type::ping: // v4: only the server pings
    default:
      close_session(self, "parse error");
      return;
  }
}

void on_ws_text_or_binary(self_ptr self, std::string& data, bool binary) {
  // The frame is ours (the message carrying it is not shared): a message
  // is handled in its own buffer, other packets become an eio_packet.
  // (Only called on an open session: the ws_msg handler checks.)
  if (binary || (!data.empty() && data[0] == protocol::to_digit(eio_packet_type::message))) {
    on_message(self, data, binary);
    return;
  }
  auto p = protocol::take_text_frame(std::move(data));
  if (!p) {
    spdlog::info("connection={} sent an invalid frame: {}",
                 self->state.connection_id, p.error());
    close_session(self, "parse error");
    return;
  }
  on_packet(self, *p);
}

void attach_ws(self_ptr self, ws_link& link) {
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self);
  auto id = link.id;
  http::ws_connection::callbacks cbs;
  cbs.on_message = [weak, id](std::string&& data, bool binary) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<client_session_actor>(strong),
                     ws_msg_atom::value, id, std::move(data), binary);
  };
  cbs.on_closed = [weak, id](uint16_t code, std::string) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<client_session_actor>(strong),
                     ws_closed_atom::value, id, code);
  };
  link.conn->start(std::move(cbs), std::move(link.leftover));
}

void finish(self_ptr self) {
  if (self->getf(caf::abstract_actor::is_terminated_flag
                 | caf::abstract_actor::is_shutting_down_flag))
    return; // finished already (an exit message after a close)
  auto& st = self->state;
  if (st.polling && st.polling->poll) {
    st.polling->poll->respond(bad_request());
    st.polling->poll.reset();
  }
  st.ctx->registry->remove(st.connection_id);
  count_transport(self, st.websocket ? "websocket" : "polling", "");
  // The wheel's pointers would keep this actor's memory until its next
  // wake-up (pingInterval away): a client that connects and resets in a
  // loop would pile up closed sessions.
  if (auto& wheel = st.ctx->settings.heartbeat_wheel)
    wheel->cancel(caf::actor_cast<caf::strong_actor_ptr>(self));
  self->quit();
}

void close_session(self_ptr self, const std::string& reason, close_wait wait) {
  auto& st = self->state;
  if (st.closed)
    return;
  // The hub drops the memberships first, so that nothing is routed to this
  // connection once the handler hears of the disconnect.
  self->send(st.hub, closed_atom::value, st.connection_id, reason);
  // Every accepted socket gets its disconnected event, in namespace order;
  // with recovery, the hub sends those of a loss it may resume from.
  bool hub_tells = st.ctx->settings.recovery && recoverable_loss(reason);
  for (auto& [nsp, s] : st.sockets)
    if (s.connected)
      socket_gone(self, nsp, s, reason, !hub_tells);
  st.sockets.clear();
  count_close(self, reason);
  spdlog::info("connection closed hub={} connection={} reason={}",
               st.ctx->hub_name, st.connection_id, reason);
  if (st.polling && st.polling->probe.conn)
    st.polling->probe.conn->close(1000, "");
  if (st.websocket) {
    st.closed = true;
    st.ws.conn->close(1000, "");
    finish(self);
    return;
  }
  // Polling: the close packet goes out with whatever is still queued, on
  // the pending GET or the next one (waited for briefly).
  auto& pl = *st.polling;
  pl.queue.push_back(make_wire(eio_packet_type::close, {}));
  pl.queued_bytes += 1;
  flush_poll(self);
  st.closed = true;
  // After a protocol error or a lost client the sid is dead at once (the
  // next request gets 400); a deliberate server close waits briefly for a
  // last GET to carry the close packet.
  bool deliberate = reason != "parse error" && reason != "transport error"
                    && reason != "transport close" && reason != "ping timeout";
  if (pl.queue.empty() || !deliberate || wait == close_wait::none) {
    finish(self);
    return;
  }
  schedule(self, std::chrono::milliseconds{2000}, session_timer::close_linger,
           0);
}

} // namespace sio::session
