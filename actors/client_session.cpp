#include "actors/client_session.hpp"

#include "actors/packed_handshake.hpp"

#include "lib/auth/random_id.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/eio_error.hpp"
#include "lib/protocol/eio_handshake.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/protocol/sio_encoder.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <type_traits>

namespace sio {

// -- session_counters ------------------------------------------------------------

namespace {

constexpr const char* rejected_help
  = "Sockets turned away and events dropped or failed, by reason.";

} // namespace

std::shared_ptr<const session_counters>
session_counters::make(metrics::registry& registry, const std::string& hub) {
  auto c = std::make_shared<session_counters>();
  metrics::labels l{{"hub", hub}};
  c->events_in = &registry.get_counter(
    "sio_events_received_total", "Client events handed to the handler.", l);
  c->packets_out = &registry.get_counter(
    "sio_packets_sent_total", "Engine.IO packets queued to clients.", l);
  auto rejected = [&](const char* reason) {
    auto r = l;
    r.emplace_back("reason", reason);
    return &registry.get_counter("sio_rejected_total", rejected_help, r);
  };
  c->event_unhandled = rejected("event_unhandled");
  c->event_handler_failed = rejected("event_handler_failed");
  return c;
}

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

// -- the session actor -----------------------------------------------------------

namespace {

/// The close reason when more events await the handler than allowed.
constexpr std::string_view event_backlog_reason = "event handler backlog full";

/// The close reason for a packet over max_packet_bytes.
constexpr std::string_view packet_too_large_reason = "packet too large";

using protocol::eio_packet;
using protocol::eio_packet_type;
using protocol::sio_packet;
using protocol::sio_packet_type;

/// One namespace connection on this Engine.IO connection.
struct sio_socket {
  std::string socket_id;
  bool connected = false;  ///< false while the connect verdict is pending
  /// While pending: the handler's answer must come before this. Checked
  /// by the heartbeat tick, not by a CAF request timeout: those stay in
  /// CAF 0.17's clock until they expire, answered or not (~150 bytes per
  /// connection for handler_timeout after every connect).
  std::chrono::steady_clock::time_point verdict_due;
};

/// What only a long-polling session needs (also while it upgrades). A
/// WebSocket-only session never allocates it: at 10k idle clients every
/// byte of session state counts (BENCHMARKS.md, memory per connection).
struct polling_state {
  ws_link probe;                        ///< an upgrade candidate
  std::optional<http::exchange> poll;   ///< the pending polling GET
  uint64_t poll_id = 0;
  /// Outbound queue, always flushed whole.
  std::vector<wire_packet> queue;
  size_t queued_bytes = 0;
};

/// A binary packet whose attachments are still arriving.
struct binary_assembly {
  protocol::sio_decoder decoder;
  std::string text;  ///< its Engine.IO message ('4' + text), relayed with the event
  size_t bytes = 0;  ///< its text and attachments so far (max_packet_bytes)
};

/// The WebSocket a session speaks on: a ws_link without the bytes handed
/// over at the upgrade (attach_ws consumes those).
struct ws_transport {
  uint64_t id = 0;  ///< the link id its callbacks report
  std::shared_ptr<http::ws_connection> conn;
};

/// The namespaces joined on a connection, in join order: nearly always one
/// or two, so a vector (no tree node per namespace).
using socket_list = std::vector<std::pair<std::string, sio_socket>>;

/// Kept small on purpose: every idle connection holds one, inside a CAF
/// actor whose allocation jemalloc rounds to 1280 bytes only while this
/// stays within 248 (BENCHMARKS.md, memory per connection; checked below).
struct session_state {
  // -- identity (from session_config; the handshake facts packed) ----------
  std::string connection_id;
  std::string user_id;  ///< token `sub`, or the connect answer's userId
  /// hub name, settings, registry and metrics, shared by the hub's sessions
  std::shared_ptr<const session_context> ctx;
  /// query, headers and claims of the handshake, packed into one string
  /// (see pack_fields): read once per namespace CONNECT, kept compact.
  std::string handshake;
  hub_actor hub;
  event_handler_actor handler;

  // -- transport ---------------------------------------------------------------
  ws_transport ws;                      ///< the WebSocket transport
  std::unique_ptr<polling_state> polling;  ///< null for WebSocket sessions
  bool websocket = false;               ///< upgraded or WebSocket-only
  bool closed = false;                  ///< no more traffic; waiting to quit
  bool awaiting_pong = false;
  bool connect_settled = false;         ///< joined in time: no connect deadline
  uint8_t wake_count = 0;               ///< entries of `wakes` in use
  /// Client events awaiting the handler's answer.
  uint32_t pending_events = 0;

  // -- heartbeat and timers ------------------------------------------------------
  uint32_t upgrade_gen = 0;
  uint32_t close_gen = 0;
  /// A connection must join a namespace before this (connect_timeout).
  std::chrono::steady_clock::time_point connect_deadline;
  /// The next ping; while a pong is awaited, the pong's deadline.
  std::chrono::steady_clock::time_point heartbeat_due;
  /// Due times of the heartbeat wake-ups pending, earliest first. One
  /// cannot be cancelled, so another is asked for only when it must come
  /// before all of these: a session holds at most two (at 1 s pings, a
  /// tick per ping and per pong deadline piled up 20 per session).
  std::array<std::chrono::steady_clock::time_point, 2> wakes{};

  // -- Socket.IO ---------------------------------------------------------------------
  socket_list sockets;
  std::unique_ptr<binary_assembly> assembling;  ///< null between packets

  static inline const char* name = "client_session";
};

#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(session_state) <= 248,
              "session_state grew past 248 bytes: idle connections cost a "
              "jemalloc size class more (see the comment on session_state)");
#endif

using self_ptr = client_session_actor::stateful_pointer<session_state>;

socket_list::iterator find_socket(socket_list& sockets, std::string_view nsp) {
  return std::find_if(sockets.begin(), sockets.end(),
                      [nsp](const auto& s) { return s.first == nsp; });
}

// -- small helpers ------------------------------------------------------------------

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

http::response bad_request() {
  return http::response::json(
    400, protocol::eio_error_body(protocol::eio_error::bad_request));
}

socket_ref make_ref(self_ptr self, const std::string& nsp,
                    const std::string& socket_id) {
  auto& st = self->state;
  return {st.ctx->hub_name, st.connection_id, nsp, socket_id, st.user_id};
}

metrics::labels hub_labels(self_ptr self) {
  return {{"hub", self->state.ctx->hub_name}};
}

/// Moves this connection's count from transport `from` to `to` ("" =
/// none). The gauge is looked up each time (on open, upgrade and close
/// only) rather than kept in every session.
void count_transport(self_ptr self, const char* from, const char* to) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return;
  for (auto [transport, delta] : {std::pair{from, -1}, std::pair{to, 1}}) {
    if (*transport == '\0')
      continue;
    auto l = hub_labels(self);
    l.emplace_back("transport", transport);
    st.ctx->metrics
      ->get_gauge("sio_connections", "Open Engine.IO connections by transport.",
                  l)
      .add(delta);
  }
}

/// The hub's counter `name` with one more label; null without metrics. For
/// the rarer events (per socket or connection); per-event counters are
/// cached in session_counters.
metrics::counter* hub_counter(self_ptr self, const char* name, const char* help,
                              const char* label, std::string_view value) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return nullptr;
  auto l = hub_labels(self);
  l.emplace_back(label, std::string{value});
  return &st.ctx->metrics->get_counter(name, help, l);
}

/// Sockets per hub and namespace. Clients name namespaces: a namespace's
/// series goes when its last socket does (adjust_gauge), and those past the
/// registry's label limit are counted under `other`.
void count_socket(self_ptr self, const std::string& nsp, int64_t delta) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return;
  auto l = hub_labels(self);
  l.emplace_back("namespace", nsp);
  st.ctx->metrics->adjust_gauge(
    "sio_sockets", "Connected sockets by hub and namespace.", l, delta);
}

void count_close(self_ptr self, const std::string& reason) {
  if (auto* c = hub_counter(
        self, "sio_connections_closed_total",
        "Closed Engine.IO connections by reason.", "reason", reason))
    c->inc();
}

/// Work turned away: rejected sockets, dropped or failed events. The reason
/// is one of a few fixed words (never client text: label cardinality).
void count_rejected(self_ptr self, const char* reason) {
  if (auto* c = hub_counter(self, "sio_rejected_total", rejected_help,
                            "reason", reason))
    c->inc();
}

/// Per-event rejections: a cached counter, no lookup.
void count_cached(metrics::counter* session_counters::*which,
                  const session_state& st) {
  if (st.ctx->counters && st.ctx->counters.get()->*which)
    (st.ctx->counters.get()->*which)->inc();
}

void schedule(self_ptr self, std::chrono::milliseconds after,
              session_timer which, uint64_t gen) {
  self->delayed_send(self, after, tick_atom::value,
                     static_cast<uint8_t>(which), gen);
}

void close_session(self_ptr self, const std::string& reason);
void send_eio(self_ptr self, eio_packet_type type, std::string_view data);

/// The upgrade candidate, or null.
ws_link* probe_of(session_state& st) {
  return st.polling && st.polling->probe.conn ? &st.polling->probe : nullptr;
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
                     tick_atom::value, static_cast<uint8_t>(session_timer::ping),
                     uint64_t{0});
}

void on_verdict(self_ptr self, const std::string& nsp,
                const std::string& socket_id, const connect_verdict& v);

/// Rejects every namespace connect whose handler answer is overdue; a late
/// answer finds its socket gone and is ignored.
void expire_verdicts(self_ptr self, std::chrono::steady_clock::time_point now) {
  auto& st = self->state;
  std::vector<std::pair<std::string, std::string>> overdue;
  for (auto& [nsp, s] : st.sockets)
    if (!s.connected && now >= s.verdict_due)
      overdue.emplace_back(nsp, s.socket_id);
  for (auto& [nsp, socket_id] : overdue) {
    count_rejected(self, "connect_handler_failed");
    auto why = "event handler failed: no answer within "
               + std::to_string(st.ctx->settings.handler_timeout.count()) + " ms";
    on_verdict(self, nsp, socket_id,
               connect_verdict::reject("{\"message\":" + protocol::json_string(why)
                                       + "}"));
  }
}

/// Closes a session whose pong is overdue before it takes a request: the
/// reference server has closed it by then, even if our tick is still on its
/// way. True when the session is (now) closed.
bool close_if_pong_overdue(self_ptr self) {
  auto& st = self->state;
  if (!st.closed && st.awaiting_pong
      && std::chrono::steady_clock::now() >= st.heartbeat_due)
    close_session(self, "ping timeout");
  return st.closed;
}

/// A heartbeat tick: pings, closes on a missed pong or connect deadline,
/// rejects overdue connect verdicts.
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

// -- outbound --------------------------------------------------------------------------

/// Answers the pending GET with everything queued.
void flush_poll(self_ptr self) {
  auto* pl = self->state.polling.get();
  if (!pl || !pl->poll || pl->queue.empty())
    return;
  std::string body;
  body.reserve(pl->queued_bytes + pl->queue.size() * 2);
  for (auto& p : pl->queue)
    protocol::append_frame_to_payload(body, *p.frame, p.binary);
  pl->queue.clear();
  pl->queued_bytes = 0;
  auto r = http::response::text(200, std::move(body));
  r.headers.emplace_back("Cache-Control", "no-store");
  pl->poll->respond(std::move(r));
  pl->poll.reset();
}

void send_wire(self_ptr self, const wire_packet& p) {
  auto& st = self->state;
  if (st.closed)
    return;
  count_cached(&session_counters::packets_out, st);
  if (st.websocket) {
    st.ws.conn->send(p.frame, p.binary);
    return;
  }
  auto& pl = *st.polling;
  pl.queue.push_back(p);
  pl.queued_bytes += p.frame->size();
  if (pl.queued_bytes > st.ctx->settings.max_queued_bytes) {
    // A polling client that does not fetch its packets: bound the memory.
    pl.queue.clear();
    pl.queued_bytes = 0;
    close_session(self, "transport error");
    return;
  }
  flush_poll(self);
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

/// Relays a handler's Engine.IO payload to the client. A single text packet
/// (an ack: the usual reply) is its own frame text, so it is moved into the
/// frame as it is rather than decoded and copied twice.
void relay_payload(self_ptr self, std::string payload) {
  protocol::payload_limits limits;
  limits.max_packet_size = self->state.ctx->settings.max_payload;
  if (protocol::is_single_text_packet(payload, limits)) {
    send_wire(self, {false, std::make_shared<const std::string>(std::move(payload))});
    return;
  }
  auto packets = protocol::decode_payload(payload, limits);
  if (!packets) {
    spdlog::warn("dropped handler reply for connection={}: {}",
                 self->state.connection_id, packets.error());
    return;
  }
  for (auto& p : *packets)
    send_wire(self, make_wire(p));
}

// -- Socket.IO layer -------------------------------------------------------------------

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

/// The verdict on a connect whose handler failed (an error, an exception).
connect_verdict failed_handler_verdict(const std::string& why) {
  return connect_verdict::reject(
    "{\"message\":" + protocol::json_string("event handler failed: " + why) + "}");
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
  reply.data = "{\"sid\":" + protocol::json_string(socket_id) + "}";
  send_sio(self, reply);
  self->send(st.hub, socket_joined{st.connection_id, nsp, socket_id,
                                       v.user_id, v.groups});
  notify_handler(self, connected_event{make_ref(self, nsp, socket_id)},
                 &inline_handler::on_connected);
  count_socket(self, nsp, 1);
  spdlog::info("socket connected hub={} nsp={} socket={} connection={}",
               st.ctx->hub_name, nsp, socket_id, st.connection_id);
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
  auto socket_id = auth::random_id(auth::connection_id_length);
  st.sockets.emplace_back(
    p.nsp, sio_socket{socket_id, false,
                      std::chrono::steady_clock::now()
                        + st.ctx->settings.handler_timeout});
  if (!has_handler(st)) {
    on_verdict(self, p.nsp, socket_id, connect_verdict::accept());
    return;
  }
  connect_event ev;
  ev.socket = make_ref(self, p.nsp, socket_id);
  unpack_handshake(st.handshake, ev);
  ev.auth = std::move(p.data);
  auto nsp = p.nsp;
  if (auto* h = st.ctx->inline_events.get()) {
    connect_verdict v;
    try {
      v = h->on_connect(ev);
    } catch (...) {
      count_rejected(self, "connect_handler_failed");
      v = failed_handler_verdict(detail::exception_text(std::current_exception()));
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
        count_rejected(self, "connect_handler_failed");
        on_verdict(self, nsp, socket_id,
                   failed_handler_verdict(self->system().render(err)));
      });
}

void socket_gone(self_ptr self, const std::string& nsp, const sio_socket& s,
                 const std::string& reason) {
  auto& st = self->state;
  notify_handler(self, disconnected_event{make_ref(self, nsp, s.socket_id), reason},
                 &inline_handler::on_disconnected);
  count_socket(self, nsp, -1);
  spdlog::info(
    "socket disconnected hub={} nsp={} socket={} connection={} reason={}",
    st.ctx->hub_name, nsp, s.socket_id, st.connection_id, reason);
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
  self->send(st.hub, socket_left{st.connection_id, nsp, s.socket_id});
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
        on_failed_event(self, self->system().render(err));
      });
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
      return; // nothing in serverless mode waits for a client ack
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

/// An Engine.IO message from the client: `wire` is the message as received
/// for text ('4' and the Socket.IO text), the attachment's bytes for binary.
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

// -- Engine.IO layer -------------------------------------------------------------------

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
      if (st.awaiting_pong) {
        st.awaiting_pong = false;
        st.heartbeat_due = std::chrono::steady_clock::now() + st.ctx->settings.ping_interval;
        arm_heartbeat(self);
      }
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

/// A frame on the upgrade candidate (only polling sessions have one).
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
    return;
  }
  // Anything else on a probe before the upgrade closes the probe.
  pl.probe.conn->close(1002, "unexpected packet during upgrade");
  pl.probe = ws_link{};
  ++st.upgrade_gen;
}

/// Wires a WebSocket's callbacks to this actor (weakly: the connection
/// must not keep a finished session alive) and starts reading.
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

/// The session is over: the sid becomes unknown and the actor ends.
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

void close_session(self_ptr self, const std::string& reason) {
  auto& st = self->state;
  if (st.closed)
    return;
  // The hub drops the memberships first, so that nothing is routed to this
  // connection once the handler hears of the disconnect.
  self->send(st.hub, closed_atom::value, st.connection_id);
  // Every accepted socket gets its disconnected event, in namespace order.
  for (auto& [nsp, s] : st.sockets)
    if (s.connected)
      socket_gone(self, nsp, s, reason);
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
  if (pl.queue.empty() || !deliberate) {
    finish(self);
    return;
  }
  schedule(self, std::chrono::milliseconds{2000}, session_timer::noop_flush,
           ++st.close_gen + (uint64_t{1} << 63));
}

client_session_actor::behavior_type
session_impl(self_ptr self, session_config cfg, open_session open) {
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
  auto now = std::chrono::steady_clock::now();
  st.heartbeat_due = now + st.ctx->settings.ping_interval;
  st.connect_deadline = now + st.ctx->settings.connect_timeout;
  st.connect_settled = st.ctx->settings.engineio_echo;
  arm_heartbeat(self);
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
      auto& st = self->state;
      if (st.websocket) {
        ex.respond(bad_request()); // transport mismatch after an upgrade
        return;
      }
      auto& pl = *st.polling;
      if (!st.closed && close_if_pong_overdue(self)) {
        ex.respond(bad_request());
        return;
      }
      if (st.closed) {
        if (!pl.queue.empty()) {
          pl.poll = std::move(ex);
          flush_poll(self);
          finish(self);
        } else {
          ex.respond(bad_request());
        }
        return;
      }
      if (pl.poll) {
        // A second concurrent GET: the protocol closes the session.
        ex.respond(bad_request());
        close_session(self, "transport error");
        return;
      }
      pl.poll = std::move(ex);
      pl.poll_id = id;
      flush_poll(self);
    },
    [self](post_atom, http::exchange& ex) {
      auto& st = self->state;
      if (close_if_pong_overdue(self) || st.websocket) {
        ex.respond(bad_request());
        return;
      }
      protocol::payload_limits limits;
      limits.max_packet_size = st.ctx->settings.max_payload;
      auto packets = protocol::decode_payload(ex.req().body, limits);
      if (!packets) {
        spdlog::info("connection={} posted an invalid payload: {}",
                     st.connection_id, packets.error());
        ex.respond(bad_request());
        close_session(self, "parse error");
        return;
      }
      http::response ok;
      ok.headers.emplace_back("Content-Type", "text/html");
      ok.body = "ok";
      ex.respond(std::move(ok));
      for (auto& p : *packets) {
        if (self->state.closed)
          break;
        on_packet(self, p);
      }
    },
    [self](ws_open_atom, ws_link& link) {
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
    },
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
        *probe = ws_link{};
        ++st.upgrade_gen;
        return;
      }
      if (st.websocket && id == st.ws.id && !st.closed)
        close_session(self, code == 1000 || code == 1001 || code == 1005
                              || code == 1006
                            ? "transport close"
                            : "transport error");
    },
    [self](aborted_atom, uint64_t id) {
      auto& st = self->state;
      auto* pl = st.polling.get();
      if (pl && pl->poll && pl->poll_id == id) {
        pl->poll.reset();
        if (!pl->probe.conn && !st.closed)
          close_session(self, "transport close");
      }
    },
    [self](deliver_atom, wire_batch& batch) {
      if (!batch)
        return;
      for (auto& p : *batch)
        send_wire(self, p);
    },
    [self](close_atom, std::string& reason) { close_session(self, reason); },
    [self](disconnect_atom, std::string& nsp, bool close) {
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
      self->send(st.hub, socket_left{st.connection_id, nsp, s.socket_id});
      socket_gone(self, nsp, s, "server namespace disconnect");
      if (close)
        close_session(self, "forced server close");
    },
    [self](tick_atom, uint8_t which, uint64_t gen) {
      auto& st = self->state;
      switch (static_cast<session_timer>(which)) {
        case session_timer::ping:
          on_heartbeat(self);
          return;
        case session_timer::upgrade_timeout:
          if (auto* probe = probe_of(st);
              !st.closed && probe && gen == st.upgrade_gen) {
            probe->conn->close(1000, "upgrade timeout");
            *probe = ws_link{};
            ++st.upgrade_gen;
          }
          return;
        case session_timer::noop_flush:
          if (gen >= (uint64_t{1} << 63)) {
            // The wait for a last GET to carry the close packet is over.
            if (st.closed)
              finish(self);
            return;
          }
          // During an upgrade, answer polls with noops until `5` arrives.
          if (!st.closed && probe_of(st) && gen == st.upgrade_gen) {
            auto& pl = *st.polling;
            if (pl.poll && pl.queue.empty()) {
              pl.poll->respond(http::response::text(200, "6"));
              pl.poll.reset();
            }
            schedule(self, std::chrono::milliseconds{100},
                     session_timer::noop_flush, gen);
          }
          return;
        default:
          return; // not a timer of this session (the tick's value is any byte)
      }
    },
  };
}

} // namespace

std::shared_ptr<tick_wheel> make_heartbeat_wheel() {
  return std::make_shared<tick_wheel>(
    std::chrono::milliseconds{10},
    caf::make_message(tick_atom::value,
                      static_cast<uint8_t>(session_timer::ping), uint64_t{0}));
}

client_session_actor spawn_client_session(caf::actor_system& sys,
                                          session_config cfg,
                                          open_session open) {
  return sys.spawn(session_impl, std::move(cfg), std::move(open));
}

} // namespace sio
