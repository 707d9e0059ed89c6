#include "actors/session_sockets.hpp"

#include "actors/packed_handshake.hpp"
#include "actors/session_engineio.hpp"
#include "actors/session_heartbeat.hpp"
#include "actors/session_metrics.hpp"
#include "lib/auth/random_id.hpp"
#include "lib/protocol/json_text.hpp"

#include <rapidjson/document.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::session {

namespace {

/// The close reason when more events await the handler than allowed.
constexpr std::string_view event_backlog_reason = "event handler backlog full";

/// The length of a socket's private id (recovery's `pid`): 128 random bits
/// and more, as the connection id.
constexpr size_t recovery_pid_length = 24;

/// A CONNECT's auth larger than this is not read for a resume.
constexpr size_t max_resume_auth_bytes = 4096;

/// The close reason for a packet over max_packet_bytes.
constexpr std::string_view packet_too_large_reason = "packet too large";

socket_list::iterator find_socket(socket_list& sockets, std::string_view nsp) {
  return std::find_if(sockets.begin(), sockets.end(),
                      [nsp](const auto& s) { return s.first == nsp; });
}

socket_ref make_ref(self_ptr self, const std::string& nsp,
                    const std::string& socket_id) {
  auto& st = self->state;
  return {st.ctx->hub_name, st.connection_id, nsp, socket_id, st.user_id};
}

/// Whether anything takes this session's events.
bool has_handler(const session_state& st) {
  return st.ctx->inline_events || st.handler;
}

/// Tells the handler that a socket connected or went (nothing comes back).
template <class Event>
void notify_handler(self_ptr self, Event ev,
                    void (inline_handler::*call)(const Event&)) {
  auto& st = self->state;
  if (auto* h = st.ctx->inline_events.get()) {
    try {
      (h->*call)(ev);
    } catch (...) {
      spdlog::warn("event handler failed for connection={}: {}",
                   st.connection_id,
                   detail::exception_text(std::current_exception()));
    }
  } else if (st.handler) {
    self->send(st.handler, std::move(ev));
  }
}

/// What a handler's error says: the text it was made with (a handler
/// actor's exception: caf::make_error(code, what())), else CAF's rendering.
std::string handler_error_text(caf::actor_system& sys, const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return sys.render(err);
}

void on_verdict(self_ptr self, const std::string& nsp,
                const std::string& socket_id, const connect_verdict& v);

/// A connect whose handler failed (an error, an exception, no answer in
/// time) is rejected with "event handler failed: <why>", and counted.
void reject_failed_connect(self_ptr self, const std::string& nsp,
                           const std::string& socket_id, const std::string& why) {
  count_rejected(self, "connect_handler_failed");
  on_verdict(self, nsp, socket_id,
             connect_verdict::reject("{\"message\":"
                                     + protocol::json_string("event handler failed: " + why)
                                     + "}"));
}

void on_verdict(self_ptr self, const std::string& nsp,
                const std::string& socket_id, const connect_verdict& v) {
  auto& st = self->state;
  auto i = find_socket(st.sockets, nsp);
  if (st.closed || i == st.sockets.end() || i->second.socket_id != socket_id
      || i->second.connected)
    return;
  if (!v.accepted) {
    count_rejected(self, "connect_rejected");
    st.sockets.erase(i);
    sio_packet err;
    err.type = sio_packet_type::connect_error;
    err.nsp = nsp;
    err.data = v.error.empty() ? std::string{R"({"message":"rejected"})"}
                               : v.error;
    send_sio(self, err);
    spdlog::info("socket rejected hub={} nsp={} connection={} error={}",
                 st.ctx->hub_name, nsp, st.connection_id, err.data);
    return;
  }
  i->second.connected = true;
  st.connect_settled = true; // connectTimeout is for the first join only
  // A Web PubSub-style answer names the connection's user: every later
  // event of this connection carries it.
  if (!v.user_id.empty())
    st.user_id = v.user_id;
  sio_packet reply;
  reply.type = sio_packet_type::connect;
  reply.nsp = nsp;
  reply.data = "{\"sid\":" + protocol::json_string(socket_id);
  // With recovery, the private id the client presents to resume it.
  std::string pid;
  if (st.ctx->settings.recovery) {
    pid = auth::random_id(recovery_pid_length);
    reply.data += ",\"pid\":" + protocol::json_string(pid);
  }
  reply.data += "}";
  send_sio(self, reply);
  self->send(st.hub, socket_joined{st.connection_id, nsp, socket_id,
                                       v.user_id, v.groups, std::move(pid)});
  notify_handler(self, connected_event{make_ref(self, nsp, socket_id)},
                 &inline_handler::on_connected);
  count_socket(self, nsp, 1);
  spdlog::info("socket connected hub={} nsp={} socket={} connection={}",
               st.ctx->hub_name, nsp, socket_id, st.connection_id);
}

/// A new socket in namespace `nsp`: the handler's connect event decides.
void connect_fresh(self_ptr self, const std::string& nsp, std::string auth) {
  auto& st = self->state;
  auto socket_id = auth::random_id(auth::connection_id_length);
  st.sockets.emplace_back(
    nsp, sio_socket{socket_id, false,
                    std::chrono::steady_clock::now()
                      + st.ctx->settings.handler_timeout});
  if (!has_handler(st)) {
    on_verdict(self, nsp, socket_id, connect_verdict::accept());
    return;
  }
  connect_event ev;
  ev.socket = make_ref(self, nsp, socket_id);
  unpack_handshake(st.handshake, ev);
  ev.auth = std::move(auth);
  if (auto* h = st.ctx->inline_events.get()) {
    connect_verdict v;
    try {
      v = h->on_connect(ev);
    } catch (...) {
      reject_failed_connect(self, nsp, socket_id,
                            detail::exception_text(std::current_exception()));
      return;
    }
    on_verdict(self, nsp, socket_id, v);
    return;
  }
  arm_heartbeat(self); // for the verdict's deadline
  self->request(st.handler, caf::infinite, std::move(ev))
    .then(
      [self, nsp, socket_id](connect_verdict& v) {
        on_verdict(self, nsp, socket_id, v);
      },
      [self, nsp, socket_id](caf::error& err) {
        reject_failed_connect(self, nsp, socket_id,
                              handler_error_text(self->system(), err));
      });
}

/// The hub's answer to a resume: the socket is back (the hub queued its
/// CONNECT answer and missed packets), or the client gets a fresh one.
void on_restore_answer(self_ptr self, const std::string& nsp, std::string& auth,
                       const restore_answer& a) {
  auto& st = self->state;
  auto i = find_socket(st.sockets, nsp);
  if (st.closed || i == st.sockets.end() || i->second.connected
      || !i->second.socket_id.empty())
    return;
  if (!a.restored) {
    st.sockets.erase(i);
    connect_fresh(self, nsp, std::move(auth));
    return;
  }
  i->second.socket_id = a.socket_id;
  i->second.connected = true;
  st.connect_settled = true;
  if (!a.user_id.empty())
    st.user_id = a.user_id;
  count_socket(self, nsp, 1);
  spdlog::debug("socket resumed hub={} nsp={} socket={} connection={}",
               st.ctx->hub_name, nsp, a.socket_id, st.connection_id);
}

/// A CONNECT whose auth presents a lost socket's pid (and the last offset
/// its client got): the resume the hub is asked for; nullopt otherwise.
std::optional<restore_request> resume_request(const session_state& st,
                                              const sio_packet& p) {
  if (p.data.empty() || p.data.size() > max_resume_auth_bytes)
    return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(p.data.data(), p.data.size());
  if (doc.HasParseError() || !doc.IsObject())
    return std::nullopt;
  auto pid = doc.FindMember("pid");
  if (pid == doc.MemberEnd() || !pid->value.IsString()
      || pid->value.GetStringLength() == 0 || pid->value.GetStringLength() > 64)
    return std::nullopt;
  restore_request r;
  r.connection_id = st.connection_id;
  r.nsp = p.nsp;
  r.pid.assign(pid->value.GetString(), pid->value.GetStringLength());
  if (auto o = doc.FindMember("offset"); o != doc.MemberEnd() && !o->value.IsNull()) {
    r.has_offset = true;
    // Anything but a string is no offset the hub gave: it refuses.
    if (o->value.IsString() && o->value.GetStringLength() <= 32)
      r.offset.assign(o->value.GetString(), o->value.GetStringLength());
    else
      r.offset = "-";
  }
  return r;
}

void on_sio_connect(self_ptr self, sio_packet& p) {
  auto& st = self->state;
  if (find_socket(st.sockets, p.nsp) != st.sockets.end())
    return; // already connected or pending: ignored, as REC in protocol.md
  if (st.sockets.size() >= st.ctx->settings.max_namespaces) {
    sio_packet err;
    err.type = sio_packet_type::connect_error;
    err.nsp = p.nsp;
    err.data = R"({"message":"too many namespaces on one connection"})";
    count_rejected(self, "too_many_namespaces");
    send_sio(self, err);
    return;
  }
  if (st.ctx->settings.recovery)
    if (auto resume = resume_request(st, p)) {
      // Pending until the hub answers: no socket id yet.
      st.sockets.emplace_back(
        p.nsp, sio_socket{{}, false,
                          std::chrono::steady_clock::now() + st.ctx->settings.handler_timeout});
      arm_heartbeat(self); // for the answer's deadline
      auto nsp = p.nsp;
      auto auth = std::make_shared<std::string>(std::move(p.data));
      self->request(st.hub, caf::infinite, std::move(*resume))
        .then(
          [self, nsp, auth](restore_answer& a) { on_restore_answer(self, nsp, *auth, a); },
          [self, nsp, auth](caf::error&) {
            on_restore_answer(self, nsp, *auth, restore_answer{});
          });
      return;
    }
  connect_fresh(self, p.nsp, std::move(p.data));
}

void on_sio_disconnect(self_ptr self, const std::string& nsp) {
  auto& st = self->state;
  auto i = find_socket(st.sockets, nsp);
  if (i == st.sockets.end())
    return;
  auto s = i->second;
  st.sockets.erase(i);
  if (!s.connected)
    return; // never accepted: no events (the verdict is ignored later)
  self->send(st.hub, socket_left{st.connection_id, nsp, s.socket_id,
                                 "client namespace disconnect"});
  socket_gone(self, nsp, s, "client namespace disconnect");
}

/// The handler's answer to an event: relay the ack, close if asked to.
void on_event_reply(self_ptr self, message_reply& r) {
  if (!r.payload.empty())
    relay_payload(self, std::move(r.payload));
  if (!r.close_reason.empty()) {
    spdlog::warn("connection={} closed by its event handler: {}",
                 self->state.connection_id, r.close_reason);
    close_session(self, r.close_reason);
  }
}

/// The handler failed on an event: it is dropped, and counted.
void on_failed_event(self_ptr self, const std::string& why) {
  count_cached(&session_counters::event_handler_failed, self->state);
  spdlog::warn("event handler failed for connection={}: {}",
               self->state.connection_id, why);
}

void on_sio_event(self_ptr self, sio_packet& p, std::string raw,
                  const std::optional<protocol::event_head>& head) {
  auto& st = self->state;
  auto i = find_socket(st.sockets, p.nsp);
  if (i == st.sockets.end() || !i->second.connected) {
    // The reference server closes a connection that sends to a namespace
    // it has not joined.
    close_session(self, "parse error");
    return;
  }
  if (!has_handler(st)) {
    count_cached(&session_counters::event_unhandled, st);
    return; // no handler: events are dropped, as Azure does
  }
  if (st.pending_events >= st.ctx->settings.max_pending_events) {
    spdlog::warn("connection={} has {} events awaiting the handler; closing",
                 st.connection_id, st.pending_events);
    count_rejected(self, "event_backlog_full");
    close_session(self, std::string{event_backlog_reason});
    return;
  }
  count_cached(&session_counters::events_in, st);
  spdlog::debug("event hub={} nsp={} socket={} bytes={} attachments={}",
                st.ctx->hub_name, p.nsp, i->second.socket_id, raw.size(),
                p.attachments.size());
  // The socket is built in place (assigning it moved five strings).
  message_event ev{make_ref(self, p.nsp, i->second.socket_id), {}, {}, {}};
  // The decoder validated the array and kept its head: no second scan.
  // Its offsets are in the Socket.IO text, which follows the '4' in `raw`.
  if (head && 1 + head->data_offset + head->first_end <= raw.size()) {
    auto data = std::string_view{raw}.substr(1 + head->data_offset);
    if (head->name) {
      ev.event_name = *head->name;
    } else if (head->first_end > 1) {
      // A numeric event name: element [0]'s text, without the blanks
      // JSON allows after the '['.
      auto first = data.substr(1, head->first_end - 1);
      auto start = first.find_first_not_of(" \t\n\r");
      if (start != std::string_view::npos)
        ev.event_name = first.substr(start);
    }
    // Where parse_event finds the arguments.
    ev.args_offset = 1 + head->data_offset + head->first_end;
  }
  ev.packet = std::move(raw);
  ev.attachments = std::move(p.attachments);
  ev.has_ack = p.id.has_value();
  ev.ack_id = p.id.value_or(0);
  if (auto* h = st.ctx->inline_events.get()) {
    message_reply r;
    try {
      r = h->on_message(ev);
    } catch (...) {
      on_failed_event(self, detail::exception_text(std::current_exception()));
      return;
    }
    on_event_reply(self, r);
    return;
  }
  ++st.pending_events;
  // No CAF timeout per event: a timeout costs a timer entry per message on
  // CAF's single timer thread (9.5% of the echo profile, BENCHMARKS.md).
  // A handler that never answers is bounded by max_pending_events instead,
  // and the webhook dispatcher times its HTTP calls out itself.
  self->request(st.handler, caf::infinite, std::move(ev))
    .then(
      [self](message_reply& r) {
        --self->state.pending_events;
        on_event_reply(self, r);
      },
      [self](caf::error& err) {
        --self->state.pending_events;
        on_failed_event(self, handler_error_text(self->system(), err));
      });
}

/// A client's ACK answers an acked send (the only server packets with an
/// id): the hub, which gave the id, matches it. An ACK on a namespace the
/// client has not joined is a protocol error, as an EVENT there is.
void on_sio_ack(self_ptr self, sio_packet& p) {
  auto& st = self->state;
  auto i = find_socket(st.sockets, p.nsp);
  if (i == st.sockets.end() || !i->second.connected) {
    close_session(self, "parse error");
    return;
  }
  if (!p.id)
    return; // an ACK without an id answers nothing
  self->send(st.hub, client_ack{st.connection_id, p.nsp, *p.id, std::move(p.data),
                                std::move(p.attachments)});
}

void on_sio_packet(self_ptr self, sio_packet p, std::string raw,
                   const std::optional<protocol::event_head>& head) {
  switch (p.type) {
    case sio_packet_type::connect:
      on_sio_connect(self, p);
      return;
    case sio_packet_type::disconnect:
      on_sio_disconnect(self, p.nsp);
      return;
    case sio_packet_type::event:
    case sio_packet_type::binary_event:
      on_sio_event(self, p, std::move(raw), head);
      return;
    case sio_packet_type::ack:
    case sio_packet_type::binary_ack:
      on_sio_ack(self, p);
      return;
    case sio_packet_type::connect_error:
      close_session(self, "parse error");
      return;
  }
}

/// A packet over max_packet_bytes closes its connection, as the reference
/// server closes one whose message passes maxHttpBufferSize (Socket.IO has
/// no error packet for a client's event). The bound caps what one packet
/// makes the service hold: its attachments in the assembly, then its body
/// in the handler's queue.
void refuse_large_packet(self_ptr self, size_t bytes) {
  auto& st = self->state;
  spdlog::info("connection={} sent a packet of more than {} bytes ({} so "
               "far); closing",
               st.connection_id, st.ctx->settings.max_packet_bytes, bytes);
  st.assembling.reset();
  count_rejected(self, "packet_too_large");
  close_session(self, std::string{packet_too_large_reason});
}

} // namespace

void socket_gone(self_ptr self, const std::string& nsp, const sio_socket& s,
                 const std::string& reason, bool tell_handler) {
  auto& st = self->state;
  if (tell_handler)
    notify_handler(self, disconnected_event{make_ref(self, nsp, s.socket_id), reason},
                   &inline_handler::on_disconnected);
  count_socket(self, nsp, -1);
  spdlog::info(
    "socket disconnected hub={} nsp={} socket={} connection={} reason={}",
    st.ctx->hub_name, nsp, s.socket_id, st.connection_id, reason);
}

void on_message(self_ptr self, std::string& wire, bool binary) {
  auto& st = self->state;
  if (st.ctx->settings.engineio_echo) {
    send_wire(self, {binary, std::make_shared<const std::string>(std::move(wire))});
    return;
  }
  // The packet's bytes with this message: its text, or the text and the
  // attachments so far. Checked before the decoder keeps anything.
  size_t packet_bytes
    = binary ? (st.assembling ? st.assembling->bytes : 0) + wire.size()
             : wire.size() - 1;
  if (packet_bytes > st.ctx->settings.max_packet_bytes) {
    refuse_large_packet(self, packet_bytes);
    return;
  }
  // Between packets the decoder holds nothing: a local one decodes, and
  // only a binary packet awaiting attachments keeps one in the state. An
  // event's data stays in `wire` (relayed whole) rather than being copied.
  protocol::decoder_limits limits;
  limits.max_packet_size = st.ctx->settings.max_payload;
  limits.copy_event_data = false;
  protocol::sio_decoder local{limits};
  auto& dec = st.assembling ? st.assembling->decoder : local;
  auto res = binary ? dec.feed_binary(wire)
                    : dec.feed_text(std::string_view{wire}.substr(1));
  switch (res) {
    case protocol::sio_decoder::status::need_more:
      if (!st.assembling)
        st.assembling = std::make_unique<binary_assembly>(
          binary_assembly{std::move(local), std::move(wire), 0});
      st.assembling->bytes = packet_bytes;
      return;
    case protocol::sio_decoder::status::invalid:
      spdlog::info("connection={} sent an invalid packet: {}",
                   st.connection_id, dec.error());
      st.assembling.reset();
      close_session(self, "parse error");
      return;
    case protocol::sio_decoder::status::complete: {
      // The webhook body and message_event::packet: the Engine.IO message
      // as received (a binary packet's text part came first).
      std::string raw = binary ? std::move(st.assembling->text) : std::move(wire);
      auto packet = dec.take();
      auto head = dec.last_event_head(); // dec may go with the assembly
      st.assembling.reset();
      on_sio_packet(self, std::move(packet), std::move(raw), head);
      return;
    }
  }
}

void on_server_disconnect(self_ptr self, const std::string& nsp, bool close) {
  // A DISCONNECT sent through the REST API (protocol.md §5.3): the
  // client gets a bare DISCONNECT, never the {"close":..} payload.
  auto& st = self->state;
  auto i = find_socket(st.sockets, nsp);
  if (st.closed || i == st.sockets.end() || !i->second.connected)
    return;
  auto s = i->second;
  st.sockets.erase(i);
  sio_packet p;
  p.type = sio_packet_type::disconnect;
  p.nsp = nsp;
  send_sio(self, p);
  self->send(st.hub, socket_left{st.connection_id, nsp, s.socket_id,
                                 "server namespace disconnect"});
  socket_gone(self, nsp, s, "server namespace disconnect");
  if (close)
    close_session(self, "forced server close");
}

void expire_verdicts(self_ptr self, std::chrono::steady_clock::time_point now) {
  auto& st = self->state;
  std::vector<std::pair<std::string, std::string>> overdue;
  for (auto& [nsp, s] : st.sockets)
    if (!s.connected && now >= s.verdict_due)
      overdue.emplace_back(nsp, s.socket_id);
  for (auto& [nsp, socket_id] : overdue)
    reject_failed_connect(self, nsp, socket_id,
                          "no answer within "
                            + std::to_string(st.ctx->settings.handler_timeout.count())
                            + " ms");
}

} // namespace sio::session
