#include "actors/webhook_dispatcher.hpp"

#include "lib/webhook/backlog.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

namespace sio {

namespace {

// Internal messages (HTTP callbacks -> the dispatcher). Only built-in
// types, so nothing needs registering.
using wh_done_atom = caf::atom_constant<caf::atom("whdone")>;
using wh_valid_atom = caf::atom_constant<caf::atom("whvalid")>;
using wh_drain_atom = caf::atom_constant<caf::atom("whdrain")>;

/// The public interface plus the dispatcher's own completions.
using dispatcher_actor = event_handler_actor::extend<
  /// (socket key, sequence, status, body, transport error, client_error)
  caf::reacts_to<wh_done_atom, std::string, uint64_t, int, std::string,
                 std::string, int>,
  /// (upstream origin, allowed, reason, the upstream answered at all)
  caf::reacts_to<wh_valid_atom, std::string, bool, std::string, bool>,
  /// the drain deadline passed
  caf::reacts_to<wh_drain_atom>>;

/// One event waiting for (or being sent to) the upstream.
struct job {
  webhook::event_kind kind = webhook::event_kind::message;
  webhook::request req;
  /// The user event's name (for log lines; the request's headers are gone
  /// once it is sent).
  std::string event_name;
  std::string origin;  ///< upstream host:port (abuse protection key)
  size_t rule = 0;     ///< index of the matched handler rule
  /// A user event's body size, counted in the backlog bytes until the job
  /// completes (the body sits in the HTTP client while in flight).
  size_t bytes = 0;
  std::chrono::steady_clock::time_point sent_at;  ///< for the histogram
  caf::typed_response_promise<connect_verdict> connect_rp;
  caf::typed_response_promise<message_reply> message_rp;
};

/// A socket's events in the order they happened; the head is in flight.
struct socket_queue {
  std::deque<job> jobs;
  bool in_flight = false;
  uint64_t seq = 0;          ///< of the request in flight
  bool warned_full = false;  ///< "queue full" logged once per queue
  /// The head is a connect waiting for a connect slot of its origin.
  bool awaits_connect_slot = false;
  size_t bytes = 0;          ///< of its user events (job::bytes)
};

/// Abuse-protection state of one upstream origin.
struct origin_state {
  enum class status { unknown, pending, allowed, refused };
  status st = status::unknown;
  std::string reason;  ///< when refused
  std::chrono::steady_clock::time_point refused_at;
  std::vector<std::string> waiting;  ///< socket keys whose head waits
  /// Connect requests sent and not answered yet (at most
  /// max_connect_requests_per_origin).
  size_t connects_in_flight = 0;
  /// Socket keys whose head connect waits for a slot, in arrival order.
  /// Never non-empty while a slot is free: a freed slot goes to them first.
  std::deque<std::string> connect_waiting;
};

/// Metric series, looked up once (null without a registry).
struct dispatcher_metrics {
  /// Request latency per event kind, indexed by webhook::event_kind.
  std::array<metrics::histogram*, 4> latency{};
  metrics::histogram* validate_latency = nullptr;
  /// dispatcher_state::queued_bytes
  metrics::gauge* queued_bytes = nullptr;
  /// Failures by reason label, created on first use.
  std::map<std::string, metrics::counter*, std::less<>> failures;
};

struct dispatcher_state {
  webhook_dispatcher_config cfg;
  std::unique_ptr<http::client> client;
  std::optional<webhook::service_identity> identity;
  std::string origin_host_port;  ///< host:port of the public endpoint
  std::unordered_map<std::string, socket_queue> sockets;
  std::map<std::string, origin_state> origins;
  /// The origin of each rule's upstream, by rule index (worked out once,
  /// not per event).
  std::vector<std::string> rule_origins;
  dispatcher_metrics m;
  /// Bytes of the user events of every socket waiting for the upstream or
  /// in flight (the sum of socket_queue::bytes).
  size_t queued_bytes = 0;
  /// Set once an exit message arrived: quit when the queues are empty.
  std::optional<caf::error> draining;
  static inline const char* name = "webhook_dispatcher";
};

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

std::string socket_key(const socket_ref& s) {
  return s.connection_id + '\n' + s.socket_id;
}

webhook::socket_info info_of(const socket_ref& s) {
  return {s.hub, s.connection_id, s.nsp, s.socket_id, s.user_id};
}

/// The identity is built on first use: the public endpoint is final only
/// once the gateway is bound.
const webhook::service_identity& identity(self_ptr self) {
  auto& st = self->state;
  if (!st.identity) {
    webhook::service_identity id;
    id.keys = st.cfg.keys;
    auto endpoint = st.cfg.public_endpoint ? st.cfg.public_endpoint()
                                           : std::string{"http://127.0.0.1"};
    if (auto u = http::parse_url(endpoint)) {
      id.origin_host = u->host;
      st.origin_host_port = u->origin();
    } else {
      id.origin_host = "127.0.0.1";
    }
    st.identity = std::move(id);
  }
  return *st.identity;
}

/// The CONNECT_ERROR text for a transport failure.
std::string transport_reason(const std::string& error, int code) {
  switch (static_cast<http::client_error>(code)) {
    case http::client_error::timeout:
      return "upstream timeout";
    case http::client_error::unreachable:
    case http::client_error::connect_timeout:
      return "upstream unreachable: " + error;
    case http::client_error::queue_full:
      return "upstream busy: " + error;
    default:
      return "upstream error: " + error;
  }
}

/// The failure label of a transport error or a non-2xx status.
std::string failure_label(int status, int code) {
  if (status == 0) {
    std::string l{http::to_string(static_cast<http::client_error>(code))};
    for (auto& c : l)
      if (c == ' ')
        c = '_';
    return l;
  }
  if (status >= 400 && status < 500)
    return "status_4xx";
  if (status >= 500 && status < 600)
    return "status_5xx";
  return "status_other";
}

void count_failure(self_ptr self, std::string_view reason) {
  auto& st = self->state;
  if (!st.cfg.metrics)
    return;
  auto i = st.m.failures.find(reason);
  if (i == st.m.failures.end())
    i = st.m.failures
          .emplace(std::string{reason},
                   &st.cfg.metrics->get_counter(
                     "sio_webhook_failures_total",
                     "Webhook events that did not get a 2xx answer, or were "
                     "not sent, by reason.",
                     {{"hub", st.cfg.hub}, {"reason", std::string{reason}}}))
          .first;
  i->second->inc();
}

void observe(metrics::histogram* h,
             std::chrono::steady_clock::time_point since) {
  if (h)
    h->observe(std::chrono::duration<double>(std::chrono::steady_clock::now()
                                             - since)
                 .count());
}

/// Counts a job's bytes in (`delta` 1) or out of (-1) its socket's and the
/// hub's backlog.
void count_bytes(self_ptr self, socket_queue& q, const job& j, int delta) {
  if (j.bytes == 0)
    return;
  auto& st = self->state;
  if (delta > 0) {
    q.bytes += j.bytes;
    st.queued_bytes += j.bytes;
  } else {
    q.bytes -= j.bytes;
    st.queued_bytes -= j.bytes;
  }
  if (st.m.queued_bytes)
    st.m.queued_bytes->add(delta * static_cast<int64_t>(j.bytes));
}

/// Removes the head job of `q` (done or settled).
job pop_head(self_ptr self, socket_queue& q) {
  auto j = std::move(q.jobs.front());
  q.jobs.pop_front();
  count_bytes(self, q, j, -1);
  return j;
}

/// Completes a job that will not reach the upstream.
void settle(job& j, const std::string& why) {
  switch (j.kind) {
    case webhook::event_kind::connect:
      j.connect_rp.deliver(
        connect_verdict::reject(webhook::error_json(why)));
      break;
    case webhook::event_kind::message:
      j.message_rp.deliver(message_reply{});
      break;
    default:
      break;
  }
}

void start_head(self_ptr self, const std::string& key);

size_t connect_slots(const dispatcher_state& st) {
  return std::max<size_t>(1, st.cfg.max_connect_requests_per_origin);
}

/// A connect to `origin` was answered (or failed): its slot goes to the
/// connects waiting for one, in order.
void release_connect_slot(self_ptr self, const std::string& origin) {
  auto& st = self->state;
  auto& o = st.origins[origin];
  if (o.connects_in_flight > 0)
    --o.connects_in_flight;
  while (o.connects_in_flight < connect_slots(st) && !o.connect_waiting.empty()) {
    auto key = std::move(o.connect_waiting.front());
    o.connect_waiting.pop_front();
    if (auto i = st.sockets.find(key); i != st.sockets.end()) {
      i->second.awaits_connect_slot = false;
      start_head(self, key);
    }
  }
}

/// Sends the OPTIONS handshake `v` for `origin`.
void validate(self_ptr self, const std::string& origin, webhook::request v) {
  http::client_request req;
  req.method = std::move(v.method);
  req.url = std::move(v.url);
  req.headers = std::move(v.headers);
  auto me = caf::actor_cast<dispatcher_actor>(self);
  auto host = identity(self).origin_host;
  auto host_port = self->state.origin_host_port;
  auto latency = self->state.m.validate_latency;
  auto sent_at = std::chrono::steady_clock::now();
  self->state.client->send(
    std::move(req),
    [me, origin, host, host_port, latency, sent_at](http::client_result r) {
      observe(latency, sent_at);
      webhook::validation_result v;
      if (r.status == 0) {
        v.reason = "abuse protection: "
                   + transport_reason(r.error, static_cast<int>(r.code));
      } else {
        v = webhook::check_validation(r.status, r.headers, host, host_port);
      }
      caf::anon_send(me, wh_valid_atom::value, origin, v.allowed, v.reason,
                     r.status != 0);
    });
}

/// Sends the head job of `key` if its upstream may receive events.
void start_head(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto i = st.sockets.find(key);
  if (i == st.sockets.end())
    return;
  auto& q = i->second;
  while (!q.in_flight && !q.jobs.empty()) {
    auto& j = q.jobs.front();
    auto& o = st.origins[j.origin];
    if (o.st == origin_state::status::refused
        && std::chrono::steady_clock::now() - o.refused_at
             >= st.cfg.revalidate_after)
      o.st = origin_state::status::unknown;
    if (o.st == origin_state::status::refused) {
      count_failure(self, "abuse_protection");
      settle(j, o.reason);
      pop_head(self, q);
      continue;
    }
    if (o.st != origin_state::status::allowed) {
      o.waiting.push_back(key);
      if (o.st == origin_state::status::unknown) {
        o.st = origin_state::status::pending;
        // The validate URL of the rule that made this request: the same
        // template with {event}=validate.
        auto& r = st.cfg.rules[j.rule];
        validate(self, j.origin,
                 webhook::validation_request(identity(self), r, st.cfg.hub));
      }
      return;
    }
    if (j.kind == webhook::event_kind::connect) {
      // The slots are taken only by sent connects, and freed ones go to the
      // waiting first (release_connect_slot): a free slot means none wait.
      if (o.connects_in_flight >= connect_slots(st)) {
        if (!q.awaits_connect_slot) {
          q.awaits_connect_slot = true;
          o.connect_waiting.push_back(key);
        }
        return;
      }
      q.awaits_connect_slot = false;
      ++o.connects_in_flight;
    }
    // Send it; the answer comes back as wh_done.
    q.in_flight = true;
    j.sent_at = std::chrono::steady_clock::now();
    auto seq = ++q.seq;
    // A job is sent once: its request moves to the client.
    http::client_request req;
    req.method = std::move(j.req.method);
    req.url = std::move(j.req.url);
    req.headers = std::move(j.req.headers);
    req.body = std::move(j.req.body);
    auto me = caf::actor_cast<dispatcher_actor>(self);
    st.client->send(std::move(req), [me, key, seq](http::client_result r) {
      caf::anon_send(me, wh_done_atom::value, key, seq, r.status,
                     std::move(r.body), std::move(r.error),
                     static_cast<int>(r.code));
    });
    return;
  }
  if (!q.in_flight && q.jobs.empty()) {
    st.sockets.erase(i);
    if (st.draining && st.sockets.empty())
      self->quit(*st.draining);
  }
}

/// Whether a user event of `bytes` may join the queue of socket `s` (see
/// webhook::admit). If not, its client is told to close and it is dropped.
bool admit_message(self_ptr self, const socket_ref& s, size_t bytes,
                   caf::typed_response_promise<message_reply>& rp) {
  auto& st = self->state;
  auto key = socket_key(s);
  auto i = st.sockets.find(key);
  webhook::backlog_load load{0, 0, st.queued_bytes};
  if (i != st.sockets.end())
    load = {i->second.jobs.size(), i->second.bytes, st.queued_bytes};
  webhook::backlog_limits limits{st.cfg.max_queued_per_socket,
                                 st.cfg.max_queued_bytes_per_socket,
                                 st.cfg.max_queued_bytes_per_hub};
  auto verdict = webhook::admit(limits, load, bytes);
  if (verdict == webhook::backlog_verdict::accept)
    return true;
  auto reason = webhook::close_reason(verdict);
  // Once per socket queue (the events its client sent before the close
  // reached it are refused too); a socket with no queue has none to flood.
  if (i == st.sockets.end() || !i->second.warned_full) {
    if (i != st.sockets.end())
      i->second.warned_full = true;
    spdlog::warn("webhook hub={} socket={} connection={}: {} events of {} "
                 "bytes wait for the upstream ({} in the hub), one of {} "
                 "more refused; closing the connection: {}",
                 s.hub, s.socket_id, s.connection_id, load.socket_events,
                 load.socket_bytes, load.hub_bytes, bytes, reason);
  }
  count_failure(self, webhook::failure_label(verdict));
  rp.deliver(message_reply::close(std::string{reason}));
  return false;
}

/// Queues a job for its socket and starts it if it is the head. User
/// events passed admit_message first.
void enqueue(self_ptr self, const socket_ref& s, job j) {
  auto& st = self->state;
  auto key = socket_key(s);
  auto& q = st.sockets[key];
  count_bytes(self, q, j, 1);
  q.jobs.push_back(std::move(j));
  if (!q.in_flight)
    start_head(self, key);
}

/// Builds the job skeleton for a matched rule.
std::optional<job> make_job(self_ptr self, webhook::event_kind kind,
                            std::string_view event_name) {
  auto& st = self->state;
  auto r = webhook::match_rule(st.cfg.rules, kind, event_name);
  if (!r)
    return std::nullopt;
  job j;
  j.kind = kind;
  if (kind == webhook::event_kind::message)
    j.event_name = event_name;
  j.rule = *r;
  j.origin = st.rule_origins[*r];
  return j;
}

void on_done(self_ptr self, const std::string& key, uint64_t seq, int status,
             std::string& body, const std::string& error, int code) {
  auto& st = self->state;
  auto i = st.sockets.find(key);
  if (i == st.sockets.end() || !i->second.in_flight || i->second.seq != seq
      || i->second.jobs.empty())
    return;
  auto& q = i->second;
  auto j = pop_head(self, q);
  q.in_flight = false;
  observe(st.m.latency[static_cast<size_t>(j.kind)], j.sent_at);
  if (status < 200 || status > 299)
    count_failure(self, failure_label(status, code));
  // The key is "<connection id>\n<socket id>" (socket_key).
  auto socket_id = std::string_view{key}.substr(key.find('\n') + 1);
  switch (j.kind) {
    case webhook::event_kind::connect: {
      if (status == 0) {
        auto why = transport_reason(error, code);
        spdlog::warn("webhook connect hub={} socket={}: {}", st.cfg.hub,
                     socket_id, why);
        j.connect_rp.deliver(connect_verdict::reject(webhook::error_json(why)));
        break;
      }
      auto d = webhook::decide_connect(status, body);
      if (d.accepted) {
        j.connect_rp.deliver(
          connect_verdict::accept_as(std::move(d.user_id), std::move(d.groups)));
      } else {
        spdlog::info("webhook connect hub={} socket={} rejected ({}): {}",
                     st.cfg.hub, socket_id, status, d.message);
        j.connect_rp.deliver(
          connect_verdict::reject(webhook::error_json(d.message)));
      }
      break;
    }
    case webhook::event_kind::message: {
      if (status < 200 || status > 299)
        spdlog::warn("webhook event hub={} socket={} event={}: {}", st.cfg.hub,
                     socket_id, j.event_name,
                     status == 0 ? transport_reason(error, code)
                                 : "upstream answered " + std::to_string(status));
      j.message_rp.deliver(message_reply{webhook::message_reply(status, body)});
      break;
    }
    default:
      // connected / disconnected: the answer is ignored (§4.5, §4.6).
      if (status < 200 || status > 299)
        spdlog::warn("webhook {} hub={} socket={}: {}", webhook::to_string(j.kind),
                     st.cfg.hub, socket_id,
                     status == 0 ? transport_reason(error, code)
                                 : "upstream answered " + std::to_string(status));
      break;
  }
  start_head(self, key);
  if (j.kind == webhook::event_kind::connect)
    release_connect_slot(self, j.origin);
}

void on_validated(self_ptr self, const std::string& origin, bool allowed,
                  const std::string& reason, bool answered) {
  auto& st = self->state;
  auto& o = st.origins[origin];
  auto waiting = std::move(o.waiting);
  o.waiting.clear();
  if (allowed) {
    if (o.st != origin_state::status::allowed)
      spdlog::info("webhook upstream {} passed abuse protection (hub {})",
                   origin, st.cfg.hub);
    o.st = origin_state::status::allowed;
  } else {
    // Logged once per distinct reason, not per event.
    if (o.reason != reason)
      spdlog::error("webhook upstream {} gets no events (hub {}): {}", origin,
                    st.cfg.hub, reason);
    o.st = origin_state::status::refused;
    o.reason = reason;
    // An upstream that refused is asked again after revalidate_after; one
    // that could not be reached is asked again with the next event, so that
    // it is used as soon as it is back.
    o.refused_at = answered ? std::chrono::steady_clock::now()
                            : std::chrono::steady_clock::time_point{};
  }
  for (auto& key : waiting) {
    // The event that waited for this answer gets it now, even when the
    // refusal is not kept (an unreachable upstream is asked again by the
    // next event, not by this one: no loop).
    if (!allowed)
      if (auto i = st.sockets.find(key);
          i != st.sockets.end() && !i->second.in_flight
          && !i->second.jobs.empty()) {
        count_failure(self, "abuse_protection");
        settle(i->second.jobs.front(), reason);
        pop_head(self, i->second);
      }
    start_head(self, key);
  }
}

dispatcher_actor::behavior_type dispatcher_impl(self_ptr self,
                                                asio::io_context* io,
                                                webhook_dispatcher_config cfg) {
  auto& st = self->state;
  st.client = std::make_unique<http::client>(*io, cfg.client);
  st.cfg = std::move(cfg);
  for (auto& rule : st.cfg.rules) {
    auto probe = http::parse_url(webhook::expand_url(rule.url_template,
                                                     st.cfg.hub, "x"));
    st.rule_origins.push_back(probe ? probe->origin() : rule.url_template);
  }
  if (auto& reg = st.cfg.metrics) {
    auto series = [&](std::string_view event) {
      return &reg->get_histogram(
        "sio_webhook_duration_seconds",
        "Time from sending a webhook request to its complete answer.",
        {{"hub", st.cfg.hub}, {"event", std::string{event}}});
    };
    for (auto k : {webhook::event_kind::connect, webhook::event_kind::connected,
                   webhook::event_kind::disconnected,
                   webhook::event_kind::message})
      st.m.latency[static_cast<size_t>(k)] = series(webhook::to_string(k));
    st.m.validate_latency = series("validate");
    st.m.queued_bytes = &reg->get_gauge(
      "sio_webhook_queued_bytes",
      "Bytes of user events waiting for the upstream or being sent to it.",
      {{"hub", st.cfg.hub}});
  }
  // A stopping service sends the exit after the sessions queued their
  // disconnected events: deliver them (bounded by drain_timeout) first.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.draining)
      return;
    st.draining = msg.reason;
    if (st.sockets.empty()) {
      self->quit(msg.reason);
      return;
    }
    spdlog::info("webhook hub={}: delivering events of {} sockets before "
                 "stopping", st.cfg.hub, st.sockets.size());
    self->delayed_send(self, st.cfg.drain_timeout, wh_drain_atom::value);
  });
  // The client (and its sockets) goes with the state, which CAF destroys
  // when the actor terminates; the client copes with an io_context that is
  // already gone (see http::client).
  return {
    [self](const connect_event& ev)
      -> caf::typed_response_promise<connect_verdict> {
      auto rp = self->make_response_promise<connect_verdict>();
      auto j = make_job(self, webhook::event_kind::connect, "connect");
      if (!j) {
        // No handler takes connect: accept, as Azure does.
        rp.deliver(connect_verdict::accept());
        return rp;
      }
      j->req = webhook::connect_request(identity(self),
                                        self->state.cfg.rules[j->rule],
                                        info_of(ev.socket), ev.claims, ev.query,
                                        ev.headers, ev.auth,
                                        webhook::event_stamp::make());
      j->connect_rp = rp;
      enqueue(self, ev.socket, std::move(*j));
      return rp;
    },
    [self](const connected_event& ev) {
      auto j = make_job(self, webhook::event_kind::connected, "");
      if (!j)
        return;
      j->req = webhook::connected_request(identity(self),
                                          self->state.cfg.rules[j->rule],
                                          info_of(ev.socket),
                                          webhook::event_stamp::make());
      enqueue(self, ev.socket, std::move(*j));
    },
    [self](const disconnected_event& ev) {
      auto j = make_job(self, webhook::event_kind::disconnected, "");
      if (!j)
        return;
      j->req = webhook::disconnected_request(
        identity(self), self->state.cfg.rules[j->rule], info_of(ev.socket),
        webhook::disconnected_reason(ev.reason), webhook::event_stamp::make());
      enqueue(self, ev.socket, std::move(*j));
    },
    [self](const message_event& ev)
      -> caf::typed_response_promise<message_reply> {
      auto rp = self->make_response_promise<message_reply>();
      auto j = make_job(self, webhook::event_kind::message, ev.event_name);
      if (!j) {
        // No handler takes this event: dropped (§11 row 9).
        rp.deliver(message_reply{});
        return rp;
      }
      // Only user events count against the bounds (a socket has at most one
      // of each lifecycle event, and its disconnected must never be lost),
      // and before their body is built: a refused one costs no copy.
      j->bytes = webhook::message_body_size(ev.packet, ev.attachments);
      if (!admit_message(self, ev.socket, j->bytes, rp))
        return rp;
      j->req = webhook::message_request(identity(self),
                                        self->state.cfg.rules[j->rule],
                                        info_of(ev.socket), ev.event_name,
                                        ev.packet, ev.attachments,
                                        webhook::event_stamp::make());
      j->message_rp = rp;
      enqueue(self, ev.socket, std::move(*j));
      return rp;
    },
    [self](wh_done_atom, const std::string& key, uint64_t seq, int status,
           std::string& body, const std::string& error, int code) {
      on_done(self, key, seq, status, body, error, code);
    },
    [self](wh_valid_atom, const std::string& origin, bool allowed,
           const std::string& reason, bool answered) {
      on_validated(self, origin, allowed, reason, answered);
    },
    [self](wh_drain_atom) {
      auto& st = self->state;
      size_t left = 0;
      for (auto& [key, q] : st.sockets) {
        (void) key;
        for (auto& j : q.jobs) {
          ++left;
          count_failure(self, "shutdown");
          settle(j, "service stopping");
        }
      }
      spdlog::warn("webhook hub={}: stopped with {} events undelivered",
                   st.cfg.hub, left);
      if (st.m.queued_bytes)
        st.m.queued_bytes->sub(static_cast<int64_t>(st.queued_bytes));
      st.queued_bytes = 0;
      self->quit(st.draining ? *st.draining
                             : caf::error{caf::exit_reason::user_shutdown});
    },
  };
}

} // namespace

event_handler_actor spawn_webhook_dispatcher(caf::actor_system& sys,
                                             asio::io_context& io,
                                             webhook_dispatcher_config cfg) {
  auto h = sys.spawn(dispatcher_impl, &io, std::move(cfg));
  return caf::actor_cast<event_handler_actor>(h);
}

webhook_dispatcher_config
webhook_config_for(const config::service_config& cfg,
                   const config::hub_setting& hub,
                   std::function<std::string()> public_endpoint,
                   std::shared_ptr<metrics::registry> metrics) {
  webhook_dispatcher_config out;
  out.hub = hub.name;
  for (auto& h : hub.event_handlers)
    out.rules.push_back({h.url_template, h.user_event_pattern,
                         h.system_events});
  out.keys = {cfg.primary_key, cfg.secondary_key};
  out.public_endpoint = std::move(public_endpoint);
  out.client.connect_timeout
    = std::chrono::milliseconds{cfg.webhook.connect_timeout};
  out.client.response_timeout
    = std::chrono::milliseconds{cfg.webhook.response_timeout};
  out.client.max_connections_per_origin
    = cfg.webhook.max_connections_per_upstream;
  out.max_queued_per_socket = cfg.webhook.max_queued_per_socket;
  out.max_queued_bytes_per_socket = cfg.webhook.max_queued_bytes_per_socket;
  out.max_queued_bytes_per_hub = cfg.webhook.max_queued_bytes_per_hub;
  out.max_connect_requests_per_origin
    = cfg.webhook.max_connect_requests_per_upstream;
  out.drain_timeout = std::chrono::milliseconds{cfg.webhook.drain_timeout};
  out.metrics = std::move(metrics);
  return out;
}

} // namespace sio
