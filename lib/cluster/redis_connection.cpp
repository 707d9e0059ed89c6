// lib/cluster/redis_connection.cpp
#include "lib/cluster/redis_connection.hpp"

#include "lib/cluster/hiredis_asio.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/post.hpp>

#include <algorithm>
#include <climits>
#include <deque>
#include <utility>

namespace sio::cluster {

using sio::protocol::result;

// One hiredis context: an attempt, then (maybe) a connection. hiredis's
// privdata for every callback, so it lives until hiredis has freed the
// context (session_ended posts its release for that reason).
struct redis_connection::session {
  struct waiting {
    reply_handler handler;
    clock::time_point deadline;
    /// A caller's command (else a handshake step).
    bool user = false;
  };

  /// Null once the connection is being destroyed.
  redis_connection* owner = nullptr;
  /// Null once hiredis freed the context (or is about to).
  redisAsyncContext* ac = nullptr;
  /// Regular commands in the order hiredis will answer them.
  std::deque<waiting> pending;
  /// Why we closed it (stop, timeout, failed handshake): what the pending
  /// handlers get.
  std::string close_reason;
  clock::time_point connect_deadline;
  /// Handshake answered (AUTH, SELECT, SETNAME, PING).
  bool ready = false;
  /// Subscriptions confirmed too: commands may go.
  bool up = false;
  bool ended = false;
  /// (P)SUBSCRIBE confirmations still expected before "up".
  size_t confirmations_left = 0;
};

namespace {

redis_reply to_reply(const redisReply* r) {
  redis_reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = redis_reply::kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = redis_reply::kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = redis_reply::kind::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = redis_reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(to_reply(r->element[i]));
      break;
    default:
      out.type = redis_reply::kind::nil;
      break;
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// CLIENT SETNAME refuses spaces, newlines and other special characters.
std::string client_name_of(std::string_view name) {
  std::string out{name};
  for (auto& c : out)
    if (c <= ' ' || c >= 0x7f)
      c = '-';
  return out;
}

std::string hiredis_error(const redisAsyncContext* ac) {
  if (ac != nullptr && ac->c.errstr[0] != '\0')
    return ac->c.errstr;
  return "unknown error";
}

std::string_view view_of(const redisReply* r) {
  return {r->str, r->len};
}

bool is_string(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING;
}

// Handlers run inside hiredis's C frames: an exception must stop here.
template <class F>
void guarded(F&& f) noexcept {
  try {
    f();
  } catch (...) {
    // nop: nowhere to report it
  }
}

// Commands that would switch the connection into a mode whose replies
// hiredis 0.14 cannot match to callbacks (or parse: RESP3).
bool changes_mode(const std::vector<std::string>& argv) {
  static const char* const refused[] = {
    "SUBSCRIBE",   "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
    "SUNSUBSCRIBE", "MONITOR",   "HELLO",      "RESET",
  };
  auto name = upper(argv[0]);
  for (const char* r : refused)
    if (name == r)
      return true;
  return name == "CLIENT" && argv.size() > 1 && upper(argv[1]) == "REPLY";
}

std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

} // namespace

// -- construction -------------------------------------------------------------

std::shared_ptr<redis_connection>
redis_connection::create(asio::io_context& io, redis_endpoint ep,
                         std::string name, redis_options opts) {
  return std::shared_ptr<redis_connection>(
    new redis_connection(io, std::move(ep), std::move(name), opts));
}

redis_connection::redis_connection(asio::io_context& io, redis_endpoint ep,
                                   std::string name, redis_options opts)
  : strand_(asio::make_strand(io)),
    deadline_timer_(strand_),
    retry_timer_(strand_),
    ep_(std::move(ep)),
    name_(std::move(name)),
    opts_(opts),
    backoff_(opts.backoff_initial) {
  client_name_ = client_name_of(name_);
  description_ = name_ + " (" + ep_.describe() + ")";
}

redis_connection::~redis_connection() {
  // Last resort: stop() was not processed. hiredis runs the pending
  // callbacks now; they must not reach back into this object.
  auto s = session_;
  if (s && s->ac != nullptr) {
    s->owner = nullptr;
    if (s->close_reason.empty())
      s->close_reason = "stopped";
    auto* ac = s->ac;
    s->ac = nullptr;
    redisAsyncFree(ac);
  }
}

// -- public interface: posts to the strand ----------------------------------

void redis_connection::on_state(state_handler h) {
  asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
    self->on_state_ = std::move(h);
  });
}

void redis_connection::on_message(message_handler h) {
  asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
    self->on_message_ = std::move(h);
    self->subscriber_ = static_cast<bool>(self->on_message_);
  });
}

void redis_connection::on_subscribed(subscribed_handler h) {
  asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
    self->on_subscribed_ = std::move(h);
  });
}

void redis_connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_)
      return;
    self->started_ = true;
    self->connect();
  });
}

void redis_connection::stop() {
  asio::post(strand_, [self = shared_from_this()] { self->do_stop(); });
}

void redis_connection::command(std::vector<std::string> argv, reply_handler h) {
  asio::post(strand_, [self = shared_from_this(), argv = std::move(argv),
                       h = std::move(h)]() mutable {
    self->do_command(std::move(argv), std::move(h));
  });
}

void redis_connection::subscribe(std::string channel) {
  asio::post(strand_, [self = shared_from_this(), ch = std::move(channel)] {
    if (!self->subscriber_ || self->stopped_
        || !self->channels_.insert(ch).second)
      return;
    auto& s = self->session_;
    if (s && s->ready && s->ac != nullptr)
      self->send_subscriptions(s.get(), false, {ch}, true);
  });
}

void redis_connection::unsubscribe(std::string channel) {
  asio::post(strand_, [self = shared_from_this(), ch = std::move(channel)] {
    if (!self->subscriber_ || self->channels_.erase(ch) == 0)
      return;
    auto& s = self->session_;
    if (s && s->ready && s->ac != nullptr)
      self->send_subscriptions(s.get(), false, {ch}, false);
  });
}

void redis_connection::psubscribe(std::string pattern) {
  asio::post(strand_, [self = shared_from_this(), p = std::move(pattern)] {
    if (!self->subscriber_ || self->stopped_
        || !self->patterns_.insert(p).second)
      return;
    auto& s = self->session_;
    if (s && s->ready && s->ac != nullptr)
      self->send_subscriptions(s.get(), true, {p}, true);
  });
}

void redis_connection::punsubscribe(std::string pattern) {
  asio::post(strand_, [self = shared_from_this(), p = std::move(pattern)] {
    if (!self->subscriber_ || self->patterns_.erase(p) == 0)
      return;
    auto& s = self->session_;
    if (s && s->ready && s->ac != nullptr)
      self->send_subscriptions(s.get(), true, {p}, false);
  });
}

bool redis_connection::up() const {
  return up_.load();
}

std::string redis_connection::last_error() const {
  std::lock_guard<std::mutex> guard{error_mutex_};
  return last_error_;
}

redis_stats redis_connection::stats() const {
  redis_stats out;
  out.connects = connects_.load();
  out.reconnects = reconnects_.load();
  out.errors = errors_.load();
  out.commands_failed = commands_failed_.load();
  out.commands_sent = commands_sent_.load();
  out.messages = messages_.load();
  return out;
}

// -- on the strand --------------------------------------------------------------

void redis_connection::connect() {
  auto s = std::make_shared<session>();
  s->owner = this;
  s->connect_deadline = clock::now() + opts_.connect_timeout;
  session_ = s;
  // Resolves synchronously (getaddrinfo), connects without blocking.
  redisAsyncContext* ac = redisAsyncConnect(ep_.host.c_str(), ep_.port);
  if (ac == nullptr) {
    session_ended(s.get(), "cannot connect to Redis " + description_
                             + ": out of memory");
    return;
  }
  if (ac->err != 0) {
    std::string why = hiredis_error(ac);
    redisAsyncFree(ac);
    session_ended(s.get(),
                  "cannot connect to Redis " + description_ + ": " + why);
    return;
  }
  ac->data = s.get();
  if (!attach_asio(ac, strand_)) {
    redisAsyncFree(ac);
    session_ended(s.get(), "cannot connect to Redis " + description_
                             + ": the socket cannot be watched");
    return;
  }
  s->ac = ac;
  // A peer that vanishes without a FIN is noticed even when idle (a
  // subscriber sends nothing).
  redisEnableKeepAlive(&ac->c);
  redisAsyncSetConnectCallback(ac, on_connect_cb);
  redisAsyncSetDisconnectCallback(ac, on_disconnect_cb);
  send_handshake(s);
  arm_deadline();
}

// Queued before the TCP connection is up (hiredis writes them once it is);
// the PING's answer is the gate: everything before it was answered.
void redis_connection::send_handshake(const std::shared_ptr<session>& s) {
  session* raw = s.get();
  auto deadline = s->connect_deadline;
  // A fatal step's error reply closes the attempt with the reason; the
  // close happens outside hiredis's callback (posted).
  auto step = [this, raw](std::string what, bool fatal) {
    return [this, raw, what = std::move(what), fatal](result<redis_reply> r) {
      if (!r || raw->ended)
        return; // the attempt ended: session_ended reports why
      if (r->type == redis_reply::kind::error) {
        if (!fatal)
          return;
        if (raw->close_reason.empty())
          raw->close_reason = what + " failed on " + description_ + ": " + r->str;
        asio::post(strand_, [self = shared_from_this(), raw] {
          if (self->session_.get() == raw && raw->ac != nullptr)
            self->close_session(self->session_, raw->close_reason);
        });
        return;
      }
      // An earlier step failed (SELECT's error does not stop PING's PONG).
      if (what == "PING" && raw->close_reason.empty())
        handshake_done(raw);
    };
  };
  if (!ep_.password.empty()) {
    std::vector<std::string> argv{"AUTH"};
    if (!ep_.username.empty())
      argv.push_back(ep_.username);
    argv.push_back(ep_.password);
    send(raw, argv, step("AUTH", true), deadline, false);
  }
  if (ep_.db != 0)
    send(raw, {"SELECT", std::to_string(ep_.db)},
         step("SELECT " + std::to_string(ep_.db), true), deadline, false);
  if (!client_name_.empty())
    send(raw, {"CLIENT", "SETNAME", client_name_},
         step("CLIENT SETNAME", false), deadline, false);
  send(raw, {"PING"}, step("PING", true), deadline, false);
}

void redis_connection::handshake_done(session* s) {
  s->ready = true;
  if (!subscriber_ || (channels_.empty() && patterns_.empty())) {
    go_up(s);
    return;
  }
  // "up" waits for Redis to confirm every subscription: a message published
  // after up() is then delivered.
  s->confirmations_left = channels_.size() + patterns_.size();
  if (!channels_.empty())
    send_subscriptions(s, false, {channels_.begin(), channels_.end()}, true);
  if (!patterns_.empty())
    send_subscriptions(s, true, {patterns_.begin(), patterns_.end()}, true);
}

void redis_connection::go_up(session* s) {
  s->up = true;
  backoff_ = opts_.backoff_initial;
  ++connects_;
  // The connect deadline is moot (and its wait holds a reference).
  ++deadline_gen_;
  deadline_armed_ = false;
  deadline_timer_.cancel();
  set_state(true, {});
  arm_deadline();
}

void redis_connection::send_subscriptions(session* s, bool pattern,
                                          const std::vector<std::string>& names,
                                          bool subscribe) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  const char* cmd = subscribe ? (pattern ? "PSUBSCRIBE" : "SUBSCRIBE")
                              : (pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE");
  args.push_back(cmd);
  lens.push_back(std::char_traits<char>::length(cmd));
  for (const auto& n : names) {
    args.push_back(n.data());
    lens.push_back(n.size());
  }
  // hiredis keeps (p)subscription callbacks in its own tables; UNSUBSCRIBE
  // registers none (and is refused when nothing is subscribed: harmless).
  if (redisAsyncCommandArgv(s->ac, subscribe ? on_sub_reply_cb : nullptr, s,
                            static_cast<int>(args.size()), args.data(),
                            lens.data())
      == REDIS_OK)
    ++commands_sent_;
}

bool redis_connection::send(session* s, const std::vector<std::string>& argv,
                            reply_handler h, clock::time_point deadline,
                            bool user) {
  if (argv.size() > static_cast<size_t>(INT_MAX)) {
    if (user)
      fail(h, "command has too many arguments");
    return false;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAsyncCommandArgv(s->ac, on_reply_cb, s, static_cast<int>(argv.size()),
                            args.data(), lens.data())
      != REDIS_OK) {
    if (user)
      fail(h, "cannot send to Redis " + description_ + ": "
                + hiredis_error(s->ac));
    return false;
  }
  s->pending.push_back(session::waiting{std::move(h), deadline, user});
  if (user)
    ++commands_sent_;
  return true;
}

// `s` by value: session_ended releases session_, which may be what the
// caller passed.
void redis_connection::close_session(std::shared_ptr<session> s,
                                     std::string reason) {
  if (s->ac == nullptr)
    return;
  if (s->close_reason.empty())
    s->close_reason = std::move(reason);
  auto* ac = s->ac;
  // Never called from inside a hiredis callback, so this frees now: the
  // pending callbacks get no reply (-> close_reason), then hiredis calls
  // on_disconnect_cb if it was connected.
  redisAsyncFree(ac);
  session_ended(s.get(), s->close_reason);
}

void redis_connection::session_ended(session* s, const std::string& reason) {
  if (s->ended)
    return;
  s->ended = true;
  s->ac = nullptr;
  s->up = false;
  if (s->close_reason.empty())
    s->close_reason = reason;
  if (session_.get() == s) {
    // hiredis may still call this session's callbacks (it frees the context
    // after this returns): release it later.
    asio::post(strand_, [old = std::move(session_)] {
      // nop: drops the last reference
    });
  }
  if (!stopped_)
    ++errors_;
  set_state(false, s->close_reason);
  if (!stopped_)
    schedule_reconnect();
}

void redis_connection::schedule_reconnect() {
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->stopped_ || self->session_)
      return;
    ++self->reconnects_;
    self->connect();
  });
}

// One timer watches the earliest deadline: the attempt's until up, then the
// oldest pending command's (they are answered in order, so it is the first
// one to expire).
void redis_connection::arm_deadline() {
  auto s = session_;
  if (!s || s->ended || stopped_)
    return;
  clock::time_point next;
  if (!s->up)
    next = s->connect_deadline;
  else if (!s->pending.empty())
    next = s->pending.front().deadline;
  else
    return;
  if (deadline_armed_ && deadline_timer_.expiry() <= next)
    return;
  deadline_timer_.expires_at(next);
  deadline_armed_ = true;
  auto gen = ++deadline_gen_;
  deadline_timer_.async_wait([self = shared_from_this(), gen](const asio::error_code&) {
    if (gen != self->deadline_gen_)
      return; // re-armed or stopped meanwhile
    self->deadline_armed_ = false;
    self->on_deadline();
  });
}

void redis_connection::on_deadline() {
  auto s = session_;
  if (!s || s->ended || stopped_)
    return;
  auto now = clock::now();
  if (!s->up) {
    if (now >= s->connect_deadline) {
      close_session(s, "no connection to Redis " + description_ + " within "
                         + ms_text(opts_.connect_timeout));
      return;
    }
  } else if (!s->pending.empty() && now >= s->pending.front().deadline) {
    close_session(s, "Redis " + description_ + " did not answer within "
                       + ms_text(opts_.command_timeout)
                       + " (connection recycled)");
    return;
  }
  arm_deadline();
}

void redis_connection::set_state(bool up, const std::string& reason) {
  up_ = up;
  {
    std::lock_guard<std::mutex> guard{error_mutex_};
    last_error_ = up ? std::string{} : reason;
  }
  if (reported_ && reported_up_ == up && reported_reason_ == reason)
    return;
  reported_ = true;
  reported_up_ = up;
  reported_reason_ = reason;
  if (on_state_)
    guarded([&] { on_state_(up, reason); });
}

void redis_connection::do_command(std::vector<std::string> argv,
                                  reply_handler h) {
  if (stopped_)
    return fail(h, "stopped");
  if (subscriber_)
    return fail(h, description_
                     + " is a subscriber connection: it takes no commands");
  if (argv.empty())
    return fail(h, "empty command");
  if (changes_mode(argv))
    return fail(h, "'" + argv[0] + "' would change the connection's mode "
                     "(use subscribe() on a subscriber connection)");
  auto s = session_;
  if (!s || !s->up || s->ac == nullptr)
    return fail(h, "not connected to Redis " + description_
                     + (last_error_.empty() ? std::string{}
                                            : ": " + last_error_));
  if (s->pending.size() >= opts_.max_pending)
    return fail(h, "too many pending commands on " + description_ + " ("
                     + std::to_string(opts_.max_pending) + ")");
  if (send(s.get(), argv, std::move(h), clock::now() + opts_.command_timeout,
           true))
    arm_deadline();
}

void redis_connection::do_stop() {
  if (stopped_)
    return;
  stopped_ = true;
  retry_timer_.cancel();
  ++deadline_gen_;
  deadline_armed_ = false;
  deadline_timer_.cancel();
  if (auto s = session_; s && s->ac != nullptr)
    close_session(s, "stopped");
  set_state(false, "stopped");
  // The handlers may hold references to this connection: break the cycle.
  on_state_ = nullptr;
  on_message_ = nullptr;
  on_subscribed_ = nullptr;
}

void redis_connection::fail(const reply_handler& h, std::string reason) {
  ++commands_failed_;
  if (h)
    guarded([&] { h(result<redis_reply>::fail(std::move(reason))); });
}

// -- hiredis callbacks -----------------------------------------------------------

void redis_connection::on_connect_cb(const redisAsyncContext* ac, int status) {
  auto* s = static_cast<session*>(ac->data);
  if (s == nullptr || status == REDIS_OK)
    return; // the handshake's replies decide "up"
  // hiredis frees the context after this (pending callbacks first).
  if (s->owner == nullptr) {
    s->ended = true;
    s->ac = nullptr;
    return;
  }
  auto self = s->owner->shared_from_this();
  self->session_ended(s, "cannot connect to Redis " + self->description_ + ": "
                           + hiredis_error(ac));
}

void redis_connection::on_disconnect_cb(const redisAsyncContext* ac,
                                        int status) {
  auto* s = static_cast<session*>(ac->data);
  if (s == nullptr)
    return;
  if (s->owner == nullptr) {
    s->ended = true;
    s->ac = nullptr;
    return;
  }
  auto self = s->owner->shared_from_this();
  std::string reason = s->close_reason;
  if (reason.empty())
    reason = status == REDIS_OK
               ? "connection to Redis " + self->description_ + " closed"
               : "connection to Redis " + self->description_
                   + " lost: " + hiredis_error(ac);
  self->session_ended(s, reason);
}

void redis_connection::on_reply_cb(redisAsyncContext* ac, void* reply,
                                   void* privdata) {
  auto* s = static_cast<session*>(privdata);
  if (s == nullptr || s->pending.empty())
    return;
  auto p = std::move(s->pending.front());
  s->pending.pop_front();
  // A handler may drop the caller's last reference: hold one meanwhile.
  std::shared_ptr<redis_connection> self;
  if (s->owner != nullptr)
    self = s->owner->shared_from_this();
  if (!p.handler || (!self && !p.user))
    return;
  if (reply != nullptr) {
    auto r = to_reply(static_cast<const redisReply*>(reply));
    guarded([&] { p.handler(result<redis_reply>::ok(std::move(r))); });
    return;
  }
  std::string reason = s->close_reason;
  if (reason.empty())
    reason = "connection to Redis "
             + (self ? self->description_ : std::string{}) + " lost: "
             + hiredis_error(ac);
  if (self && p.user)
    ++self->commands_failed_;
  guarded([&] { p.handler(result<redis_reply>::fail(std::move(reason))); });
}

void redis_connection::on_sub_reply_cb(redisAsyncContext*, void* reply,
                                       void* privdata) {
  auto* s = static_cast<session*>(privdata);
  auto* r = static_cast<const redisReply*>(reply);
  // No reply: hiredis is freeing the context.
  if (s == nullptr || r == nullptr || s->owner == nullptr || s->ended)
    return;
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3
      || !is_string(r->element[0]))
    return;
  auto self = s->owner->shared_from_this();
  auto& c = *self;
  auto kind = view_of(r->element[0]);
  if (kind == "message") {
    if (!is_string(r->element[1]) || !is_string(r->element[2]))
      return;
    auto channel = view_of(r->element[1]);
    // Unsubscribed here, not yet at Redis: drop.
    if (c.channels_.find(channel) == c.channels_.end())
      return;
    ++c.messages_;
    if (c.on_message_)
      guarded([&] { c.on_message_(channel, {}, view_of(r->element[2])); });
  } else if (kind == "pmessage") {
    if (r->elements < 4 || !is_string(r->element[1])
        || !is_string(r->element[2]) || !is_string(r->element[3]))
      return;
    auto pattern = view_of(r->element[1]);
    if (c.patterns_.find(pattern) == c.patterns_.end())
      return;
    ++c.messages_;
    if (c.on_message_)
      guarded([&] {
        c.on_message_(view_of(r->element[2]), pattern, view_of(r->element[3]));
      });
  } else if (kind == "subscribe" || kind == "psubscribe") {
    if (!is_string(r->element[1]))
      return;
    if (c.on_subscribed_)
      guarded([&] { c.on_subscribed_(view_of(r->element[1]), kind[0] == 'p'); });
    if (s->confirmations_left > 0 && --s->confirmations_left == 0 && !s->up)
      c.go_up(s);
  }
}

} // namespace sio::cluster
