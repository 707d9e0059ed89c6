#include "lib/http/client.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/url.hpp"

#include <http_parser.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace sio::http {

namespace {

using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;

/// RFC 9110 token characters and control characters, by byte value: the
/// request line and every header are checked before they are written.
struct char_classes {
  bool token[256] = {};
  bool ctl[256] = {};
  constexpr char_classes() {
    for (int c = 0; c < 256; ++c) {
      token[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                 || c == '!' || c == '#' || c == '$' || c == '%' || c == '&'
                 || c == '\'' || c == '*' || c == '+' || c == '^' || c == '`'
                 || c == '|' || c == '~';
      ctl[c] = c < 0x20 || c == 0x7F;
    }
  }
};
constexpr char_classes classes{};

bool is_token(std::string_view s) {
  for (unsigned char c : s)
    if (!classes.token[c])
      return false;
  return !s.empty();
}

bool has_ctl(std::string_view s) {
  for (unsigned char c : s)
    if (classes.ctl[c])
      return true;
  return false;
}

/// Host, Content-Length, Connection and Transfer-Encoding are the client's.
bool reserved_header(std::string_view name) {
  switch (name.size()) {
    case 4:
      return protocol::ascii_iequals(name, "host");
    case 10:
      return protocol::ascii_iequals(name, "connection");
    case 14:
      return protocol::ascii_iequals(name, "content-length");
    case 17:
      return protocol::ascii_iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

/// A header the client writes: not reserved, a token name, no control
/// characters that could split the request.
bool sendable(const header& h) {
  return !reserved_header(h.first) && is_token(h.first) && !has_ctl(h.second);
}

/// The request's bytes: reserved once, written in one pass.
std::string serialize(const client_request& req, std::string_view target,
                      std::string_view host) {
  auto length = std::to_string(req.body.size());
  size_t size = req.method.size() + 1 + target.size()
                + (sizeof(" HTTP/1.1\r\nHost: ") - 1) + host.size() + 2
                + (sizeof("Content-Length: ") - 1) + length.size() + 4
                + req.body.size();
  // An upper bound: headers dropped below only make the request shorter.
  for (auto& h : req.headers)
    size += h.first.size() + 2 + h.second.size() + 2;
  std::string wire;
  wire.reserve(size);
  auto put = [&wire](std::string_view s) { wire.append(s.data(), s.size()); };
  put(req.method);
  put(" ");
  put(target);
  put(" HTTP/1.1\r\nHost: ");
  put(host);
  put("\r\n");
  for (auto& h : req.headers) {
    // A header that would split the request is dropped, never sent.
    if (!sendable(h))
      continue;
    put(h.first);
    put(": ");
    put(h.second);
    put("\r\n");
  }
  put("Content-Length: ");
  put(length);
  put("\r\n\r\n");
  put(req.body);
  return wire;
}

client_result failure(client_error code, std::string why) {
  client_result r;
  r.code = code;
  r.error = std::move(why);
  return r;
}

} // namespace

std::string_view to_string(client_error e) {
  switch (e) {
    case client_error::none:
      return "none";
    case client_error::bad_url:
      return "bad url";
    case client_error::unsupported:
      return "unsupported";
    case client_error::queue_full:
      return "queue full";
    case client_error::unreachable:
      return "unreachable";
    case client_error::connect_timeout:
      return "connect timeout";
    case client_error::timeout:
      return "timeout";
    case client_error::too_large:
      return "response too large";
    case client_error::bad_response:
      return "bad response";
    case client_error::connection_lost:
      return "connection lost";
    case client_error::closed:
      return "closed";
  }
  return "unknown";
}

const std::string* client_result::find_header(std::string_view name) const {
  for (auto& h : headers)
    if (protocol::ascii_iequals(h.first, name))
      return &h.second;
  return nullptr;
}

std::string parsed_url::origin() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

protocol::result<parsed_url> parse_url(std::string_view url) {
  using R = protocol::result<parsed_url>;
  if (url.size() > 8192)
    return R::fail("URL too long");
  if (has_ctl(url) || url.find(' ') != std::string_view::npos)
    return R::fail("URL contains spaces or control characters");
  auto parts = protocol::split_url(url);
  if (parts.scheme.empty())
    return R::fail("not an absolute URL: " + std::string{url});
  parsed_url out;
  out.scheme = protocol::ascii_lowered(parts.scheme);
  if (out.scheme != "http" && out.scheme != "https")
    return R::fail("unsupported URL scheme \"" + out.scheme + "\"");
  out.port = out.scheme == "https" ? 443 : 80;
  if (parts.has_fragment)
    return R::fail("URL must not contain a fragment");
  auto authority = parts.authority;
  out.target = parts.target.empty() ? "/" : std::string{parts.target};
  if (out.target[0] == '?')
    out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos)
    return R::fail("URL must not contain user info");
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return R::fail("bad IPv6 literal in URL");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return R::fail("bad URL authority");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return R::fail("URL has no host");
  out.host = std::string{host};
  if (!port.empty()) {
    if (port.size() > 5)
      return R::fail("bad port in URL");
    unsigned n = 0;
    for (char c : port) {
      if (c < '0' || c > '9')
        return R::fail("bad port in URL");
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n == 0 || n > 65535)
      return R::fail("bad port in URL");
    out.port = static_cast<uint16_t>(n);
  }
  return R::ok(std::move(out));
}

namespace detail {

class upstream_pool;

/// What a queued or in-flight request carries.
struct pending_request {
  std::string wire;  ///< the serialized request
  std::function<void(client_result)> done;
  bool retried = false;
};

/// Shared by the client, its pools and their connections.
struct client_shared {
  client_settings settings;
  std::atomic<uint64_t> connections_opened{0};
  std::atomic<uint64_t> requests_sent{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<bool> closed{false};
};

/// One TCP connection to an upstream; lives on its pool's strand.
class upstream_connection
  : public std::enable_shared_from_this<upstream_connection> {
public:
  upstream_connection(std::shared_ptr<upstream_pool> pool, strand_type strand);

  /// Resolves, connects and sends `p` (a fresh connection).
  void open(pending_request p);
  /// Sends `p` on this (idle, checked) connection.
  void reuse(pending_request p);
  /// Parks the connection in the pool: watches for a close by the upstream.
  void park();
  /// Leaves the idle state (before reuse); false if the upstream closed it.
  bool unpark();
  /// Closes the socket; a request in flight fails with `code`.
  void shutdown(client_error code, const std::string& why);

private:
  void connect(const tcp::resolver::results_type& endpoints);
  void write();
  void read();
  void on_timeout(uint64_t gen);
  void complete(bool reusable);
  void fail(client_error code, std::string why);
  void reset_parser();

  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);

  /// Weak: the pool owns its connections, not the other way round, so a
  /// client destroyed while the io_context is stopped leaves no cycle.
  std::weak_ptr<upstream_pool> pool_;
  std::shared_ptr<client_shared> shared_;
  std::string host_;
  uint16_t port_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  http_parser parser_;
  http_parser_settings parser_settings_;
  client_result res_;
  std::optional<pending_request> cur_;
  std::array<char, 16 * 1024> buf_;
  size_t response_bytes_ = 0;   ///< bytes of the current response so far
  bool in_value_ = false;
  bool complete_ = false;
  bool too_large_ = false;
  bool reused_ = false;         ///< served a request before
  bool closed_ = false;
  bool connected_ = false;      ///< the TCP connection is up
  /// Bumped whenever a wait (timer, idle watch) must no longer act.
  uint64_t gen_ = 0;
};

/// The connections and the wait queue of one origin.
class upstream_pool : public std::enable_shared_from_this<upstream_pool> {
public:
  upstream_pool(asio::io_context& io, std::shared_ptr<client_shared> shared,
                parsed_url url)
    : strand_(asio::make_strand(io)),
      shared_(std::move(shared)),
      host_(url.host),
      port_(url.port) {
    // no further setup
  }

  strand_type& strand() { return strand_; }
  const client_settings& settings() const { return shared_->settings; }
  const std::shared_ptr<client_shared>& shared_ptr() const { return shared_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

  /// On the strand: hands `p` to an idle or new connection, or queues it.
  void submit(pending_request p) {
    if (shared_->closed) {
      p.done(failure(client_error::closed, "client closed"));
      return;
    }
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->unpark()) {
        c->reuse(std::move(p));
        return;
      }
      // Closed by the upstream while idle: detected before sending anything.
      drop(c);
    }
    if (live_.size() < settings().max_connections_per_origin) {
      open(std::move(p));
      return;
    }
    if (queue_.size() >= settings().max_queued_requests) {
      p.done(failure(client_error::queue_full,
                     "queue full: " + std::to_string(queue_.size())
                       + " requests wait for " + host_ + ":"
                       + std::to_string(port_)));
      return;
    }
    queue_.push_back(std::move(p));
  }

  /// On the strand: a request failed before anything reached the upstream
  /// on a reused connection; send it once more on a new connection.
  void retry(pending_request p) {
    p.retried = true;
    ++shared_->retries;
    if (live_.size() < settings().max_connections_per_origin && !shared_->closed)
      open(std::move(p));
    else
      queue_.push_front(std::move(p));
  }

  /// On the strand: a connection finished a request and may be reused.
  void release(const std::shared_ptr<upstream_connection>& c) {
    if (shared_->closed) {
      c->shutdown(client_error::closed, "client closed");
      drop(c);
      return;
    }
    if (!queue_.empty()) {
      auto p = std::move(queue_.front());
      queue_.pop_front();
      c->reuse(std::move(p));
      return;
    }
    idle_.push_back(c);
    c->park();
  }

  /// On the strand: a connection is gone (closed or failed).
  void drop(const std::shared_ptr<upstream_connection>& c) {
    live_.erase(c);
    for (auto i = idle_.begin(); i != idle_.end(); ++i)
      if (*i == c) {
        idle_.erase(i);
        break;
      }
    // A free slot: start the next waiting request.
    if (!queue_.empty() && !shared_->closed
        && live_.size() < settings().max_connections_per_origin) {
      auto p = std::move(queue_.front());
      queue_.pop_front();
      submit(std::move(p));
    }
  }

  /// On the strand: closes everything, fails what waits.
  void close_all() {
    auto waiting = std::move(queue_);
    queue_.clear();
    for (auto& p : waiting)
      p.done(failure(client_error::closed, "client closed"));
    auto all = live_;
    for (auto& c : all)
      c->shutdown(client_error::closed, "client closed");
    live_.clear();
    idle_.clear();
  }

private:
  void open(pending_request p) {
    auto c = std::make_shared<upstream_connection>(shared_from_this(), strand_);
    live_.insert(c);
    c->open(std::move(p));
  }

  strand_type strand_;
  std::shared_ptr<client_shared> shared_;
  std::string host_;
  uint16_t port_;
  /// Every open connection (idle, busy or connecting).
  std::unordered_set<std::shared_ptr<upstream_connection>> live_;
  /// Idle keep-alive connections; the most recently used is at the back.
  std::vector<std::shared_ptr<upstream_connection>> idle_;
  std::deque<pending_request> queue_;
};

// -- upstream_connection ------------------------------------------------------

upstream_connection::upstream_connection(std::shared_ptr<upstream_pool> pool,
                                         strand_type strand)
  : pool_(pool),
    shared_(pool->shared_ptr()),
    host_(pool->host()),
    port_(pool->port()),
    socket_(strand),
    resolver_(strand),
    timer_(strand) {
  http_parser_settings_init(&parser_settings_);
  parser_settings_.on_header_field = &on_header_field;
  parser_settings_.on_header_value = &on_header_value;
  parser_settings_.on_headers_complete = &on_headers_complete;
  parser_settings_.on_body = &on_body;
  parser_settings_.on_message_complete = &on_message_complete;
  reset_parser();
}

void upstream_connection::reset_parser() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  res_ = client_result{};
  // Typical answers carry a handful of headers: one allocation, not four.
  res_.headers.reserve(8);
  response_bytes_ = 0;
  in_value_ = false;
  complete_ = false;
  too_large_ = false;
}

void upstream_connection::open(pending_request p) {
  cur_ = std::move(p);
  auto gen = ++gen_;
  timer_.expires_after(shared_->settings.connect_timeout);
  timer_.async_wait([self = shared_from_this(), gen](asio::error_code ec) {
    if (!ec)
      self->on_timeout(gen);
  });
  asio::error_code ec;
  auto addr = asio::ip::make_address(host_, ec);
  if (!ec) {
    // A literal address: no resolver round trip.
    connect(tcp::resolver::results_type::create(
      tcp::endpoint{addr, port_}, host_,
      std::to_string(port_)));
    return;
  }
  // Names (e.g. localhost) go through Asio's asynchronous resolver.
  resolver_.async_resolve(
    host_, std::to_string(port_),
    [self = shared_from_this()](asio::error_code ec,
                                tcp::resolver::results_type results) {
      if (self->closed_)
        return;
      if (ec) {
        self->fail(client_error::unreachable,
                   "cannot resolve " + self->host_ + ": "
                     + ec.message());
        return;
      }
      self->connect(results);
    });
}

void upstream_connection::connect(
  const tcp::resolver::results_type& endpoints) {
  asio::async_connect(
    socket_, endpoints,
    [self = shared_from_this()](asio::error_code ec, const tcp::endpoint&) {
      if (self->closed_)
        return;
      if (ec) {
        self->fail(client_error::unreachable,
                   "cannot connect to " + self->host_ + ":"
                     + std::to_string(self->port_) + ": "
                     + ec.message());
        return;
      }
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay{true}, ignored);
      self->connected_ = true;
      ++self->shared_->connections_opened;
      self->write();
    });
}

void upstream_connection::reuse(pending_request p) {
  cur_ = std::move(p);
  reused_ = true;
  write();
}

void upstream_connection::write() {
  reset_parser();
  auto gen = ++gen_;
  timer_.expires_after(shared_->settings.response_timeout);
  timer_.async_wait([self = shared_from_this(), gen](asio::error_code ec) {
    if (!ec)
      self->on_timeout(gen);
  });
  ++shared_->requests_sent;
  asio::async_write(
    socket_, asio::buffer(cur_->wire),
    [self = shared_from_this()](asio::error_code ec, size_t) {
      if (self->closed_)
        return;
      if (ec) {
        // The upstream closed a kept-alive connection before our request
        // reached it: nothing was delivered, so sending it again on a
        // fresh connection cannot duplicate it.
        if (self->reused_ && !self->cur_->retried) {
          auto p = std::move(*self->cur_);
          self->cur_.reset();
          self->shutdown(client_error::connection_lost, "");
          if (auto pool = self->pool_.lock())
            pool->retry(std::move(p));
          else
            p.done(failure(client_error::closed, "client closed"));
          return;
        }
        self->fail(client_error::connection_lost,
                   "write to upstream failed: " + ec.message());
        return;
      }
      self->read();
    });
}

void upstream_connection::read() {
  socket_.async_read_some(
    asio::buffer(buf_),
    [self = shared_from_this()](asio::error_code ec, size_t n) {
      if (self->closed_)
        return;
      if (ec) {
        if (ec == asio::error::eof) {
          // A response delimited by the end of the connection completes now.
          http_parser_execute(&self->parser_, &self->parser_settings_,
                              nullptr, 0);
          if (self->complete_) {
            self->complete(false);
            return;
          }
        }
        self->fail(client_error::connection_lost,
                   self->response_bytes_ == 0
                     ? "upstream closed the connection without a response ("
                         + ec.message() + ")"
                     : "upstream closed the connection mid-response ("
                         + ec.message() + ")");
        return;
      }
      auto used = http_parser_execute(&self->parser_, &self->parser_settings_,
                                      self->buf_.data(), n);
      if (self->too_large_) {
        self->fail(client_error::too_large,
                   "upstream response larger than "
                     + std::to_string(self->shared_->settings.max_response_size)
                     + " bytes");
        return;
      }
      auto err = HTTP_PARSER_ERRNO(&self->parser_);
      if (err != HPE_OK && err != HPE_PAUSED) {
        self->fail(client_error::bad_response,
                   std::string{"malformed upstream response: "}
                     + http_errno_description(err));
        return;
      }
      if (self->complete_) {
        // Bytes after the response (never requested) make the stream
        // unusable for another request: answer, then close.
        self->complete(used == n);
        return;
      }
      self->read();
    });
}

void upstream_connection::complete(bool reusable) {
  ++gen_;
  timer_.cancel();
  bool keep = reusable && http_should_keep_alive(&parser_) != 0;
  auto r = std::move(res_);
  auto p = std::move(*cur_);
  cur_.reset();
  auto self = shared_from_this();
  auto pool = pool_.lock();
  if (keep && pool) {
    pool->release(self);
  } else {
    shutdown(client_error::connection_lost, "");
    if (pool)
      pool->drop(self);
  }
  p.done(std::move(r));
}

void upstream_connection::fail(client_error code, std::string why) {
  auto self = shared_from_this();
  std::optional<pending_request> p;
  p.swap(cur_);
  shutdown(code, "");
  if (auto pool = pool_.lock())
    pool->drop(self);
  if (p)
    p->done(failure(code, std::move(why)));
}

void upstream_connection::on_timeout(uint64_t gen) {
  if (gen != gen_ || closed_)
    return;
  if (!cur_) {
    // Idle too long: close it quietly.
    auto self = shared_from_this();
    shutdown(client_error::closed, "");
    if (auto pool = pool_.lock())
    pool->drop(self);
    return;
  }
  if (!connected_)
    fail(client_error::connect_timeout,
         "no connection to " + host_ + ":"
           + std::to_string(port_) + " within "
           + std::to_string(shared_->settings.connect_timeout.count())
           + " ms");
  else
    fail(client_error::timeout,
         "no response within "
           + std::to_string(shared_->settings.response_timeout.count())
           + " ms");
}

void upstream_connection::park() {
  auto gen = ++gen_;
  timer_.expires_after(shared_->settings.idle_timeout);
  timer_.async_wait([self = shared_from_this(), gen](asio::error_code ec) {
    if (!ec)
      self->on_timeout(gen);
  });
  // Readable while idle = the upstream closed it (or sent junk): either way
  // the connection cannot carry another request.
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this(), gen](asio::error_code ec) {
                       if (ec || gen != self->gen_ || self->closed_
                           || self->cur_)
                         return;
                       self->shutdown(client_error::connection_lost, "");
                       if (auto pool = self->pool_.lock())
                         pool->drop(self);
                     });
}

bool upstream_connection::unpark() {
  ++gen_;
  timer_.cancel();
  asio::error_code ignored;
  socket_.cancel(ignored);
  if (closed_ || !socket_.is_open())
    return false;
  // The close may have arrived after the watch's last look: peek without
  // blocking. 0 = orderly close, data = junk, EAGAIN = alive and quiet.
  char c;
  auto n = ::recv(socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return true;
  shutdown(client_error::connection_lost, "");
  return false;
}

void upstream_connection::shutdown(client_error code, const std::string& why) {
  if (closed_)
    return;
  closed_ = true;
  ++gen_;
  asio::error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (cur_) {
    auto p = std::move(*cur_);
    cur_.reset();
    p.done(failure(code, why.empty() ? std::string{to_string(code)} : why));
  }
}

// -- http_parser callbacks ------------------------------------------------------

namespace {

upstream_connection* self_of(http_parser* p) {
  return static_cast<upstream_connection*>(p->data);
}

} // namespace

int upstream_connection::on_header_field(http_parser* p, const char* at,
                                         size_t n) {
  auto* s = self_of(p);
  s->response_bytes_ += n;
  if (s->response_bytes_ > s->shared_->settings.max_response_size) {
    s->too_large_ = true;
    return -1;
  }
  if (s->in_value_ || s->res_.headers.empty()) {
    s->res_.headers.emplace_back();
    s->in_value_ = false;
  }
  s->res_.headers.back().first.append(at, n);
  return 0;
}

int upstream_connection::on_header_value(http_parser* p, const char* at,
                                         size_t n) {
  auto* s = self_of(p);
  s->response_bytes_ += n;
  if (s->response_bytes_ > s->shared_->settings.max_response_size) {
    s->too_large_ = true;
    return -1;
  }
  if (s->res_.headers.empty())
    return -1;
  s->in_value_ = true;
  s->res_.headers.back().second.append(at, n);
  return 0;
}

int upstream_connection::on_headers_complete(http_parser* p) {
  auto* s = self_of(p);
  for (auto& h : s->res_.headers)
    protocol::trim_in_place(h.second, protocol::http_whitespace);
  s->res_.status = static_cast<int>(p->status_code);
  // Refuse a declared oversized body before reading any of it.
  if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX
      && p->content_length
           > s->shared_->settings.max_response_size - s->response_bytes_) {
    s->too_large_ = true;
    return -1;
  }
  return 0;
}

int upstream_connection::on_body(http_parser* p, const char* at, size_t n) {
  auto* s = self_of(p);
  s->response_bytes_ += n;
  if (s->response_bytes_ > s->shared_->settings.max_response_size) {
    s->too_large_ = true;
    return -1;
  }
  s->res_.body.append(at, n);
  return 0;
}

int upstream_connection::on_message_complete(http_parser* p) {
  auto* s = self_of(p);
  // Count at least one byte so a bodiless response is never "no response".
  s->response_bytes_ += 1;
  s->complete_ = true;
  http_parser_pause(p, 1);
  return 0;
}

// -- client_impl -------------------------------------------------------------------

class client_impl {
public:
  client_impl(asio::io_context& io, client_settings settings)
    : io_(io), shared_(std::make_shared<client_shared>()) {
    shared_->settings = settings;
    if (shared_->settings.max_connections_per_origin == 0)
      shared_->settings.max_connections_per_origin = 1;
  }

  void send(client_request req, std::function<void(client_result)> done) {
    auto fail_later = [this, &done](client_error code, std::string why) {
      std::unique_lock<std::mutex> guard{mtx_};
      if (io_gone_) {
        guard.unlock();
        done(failure(code, std::move(why)));
        return;
      }
      asio::post(io_, [done = std::move(done), code,
                       why = std::move(why)]() mutable {
        done(failure(code, std::move(why)));
      });
    };
    if (!is_token(req.method)) {
      fail_later(client_error::bad_url, req.method.empty()
                                          ? "empty request method"
                                          : "invalid request method");
      return;
    }
    // One critical section from the route to the post: the io_context must
    // not go away in between (abandon() takes the same lock). Only a URL not
    // seen before is parsed, outside it.
    std::unique_lock<std::mutex> guard{mtx_};
    auto i = routes_.find(req.url);
    if (i == routes_.end()) {
      guard.unlock();
      auto url = parse_url(req.url);
      if (!url) {
        fail_later(client_error::bad_url, url.error());
        return;
      }
      if (url->scheme == "https") {
        fail_later(client_error::unsupported,
                   "https upstreams not supported yet");
        return;
      }
      auto host = url->port == 80 ? (url->host.find(':') != std::string::npos
                                       ? "[" + url->host + "]"
                                       : url->host)
                                  : url->origin();
      guard.lock();
      if (!io_gone_ && !shared_->closed) {
        // Event URLs repeat (one per hub and event name), but event names
        // come from clients: the cache is bounded, not an index of them all.
        if (routes_.size() >= max_routes)
          routes_.clear();
        i = routes_
              .try_emplace(std::move(req.url),
                           route{pool_for(*url), std::move(url->target),
                                 std::move(host)})
              .first;
      }
    }
    if (io_gone_ || shared_->closed) {
      // The only case where `done` runs inside send(): nothing can run later.
      guard.unlock();
      done(failure(client_error::closed, "client closed"));
      return;
    }
    const route& to = i->second;
    // On an I/O thread of io_ the request continues the caller's handler:
    // `defer` queues it on this thread without waking another one (a
    // hand-over per request otherwise); from any other thread it is a post.
    asio::defer(to.pool->strand(),
                [pool = to.pool, p = pending_request{serialize(req, to.target, to.host),
                                                     std::move(done),
                                                     false}]() mutable {
                  pool->submit(std::move(p));
                });
  }

  void close() {
    shared_->closed = true;
    std::lock_guard<std::mutex> guard{mtx_};
    if (io_gone_)
      return;
    for (auto& [key, pool] : pools_) {
      (void) key;
      asio::post(pool->strand(), [pool = pool] { pool->close_all(); });
    }
    pools_.clear();
  }

  /// The io_context is being destroyed: drop every pool now (its sockets
  /// go while the io_context's services still exist) and never post again.
  void abandon() {
    std::map<std::string, std::shared_ptr<upstream_pool>> pools;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      io_gone_ = true;
      pools.swap(pools_);
      routes_.clear();
    }
    shared_->closed = true;
  }

  client_stats stats() const {
    return {shared_->connections_opened.load(), shared_->requests_sent.load(),
            shared_->retries.load()};
  }

  const client_settings& settings() const { return shared_->settings; }

private:
  /// Called with mtx_ held.
  std::shared_ptr<upstream_pool> pool_for(const parsed_url& url) {
    auto key = url.origin();
    auto i = pools_.find(key);
    if (i == pools_.end())
      i = pools_
            .emplace(key, std::make_shared<upstream_pool>(io_, shared_, url))
            .first;
    return i->second;
  }

  /// Where a URL's requests go, worked out once per URL.
  struct route {
    std::shared_ptr<upstream_pool> pool;
    std::string target;  ///< path and query
    std::string host;    ///< the Host header's value
  };
  static constexpr size_t max_routes = 256;

  asio::io_context& io_;
  std::shared_ptr<client_shared> shared_;
  std::mutex mtx_;
  std::map<std::string, std::shared_ptr<upstream_pool>> pools_;
  /// By absolute URL; guarded by mtx_.
  std::unordered_map<std::string, route> routes_;
  bool io_gone_ = false;  ///< guarded by mtx_
};

/// An io_context service that outlives no io_context: when the io_context is
/// destroyed first (a client owned by an actor that terminates late), its
/// shutdown() tells each live client never to touch the io_context again.
class client_registry : public asio::execution_context::service {
public:
  using key_type = client_registry;
  static asio::execution_context::id id;

  explicit client_registry(asio::execution_context& ctx)
    : asio::execution_context::service(ctx) {
    // nop
  }

  void add(const std::shared_ptr<client_impl>& c) {
    std::lock_guard<std::mutex> guard{mtx_};
    clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                  [](auto& w) { return w.expired(); }),
                   clients_.end());
    clients_.push_back(c);
  }

private:
  void shutdown() override {
    std::vector<std::weak_ptr<client_impl>> all;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      all.swap(clients_);
    }
    for (auto& w : all)
      if (auto c = w.lock())
        c->abandon();
  }

  std::mutex mtx_;
  std::vector<std::weak_ptr<client_impl>> clients_;
};

asio::execution_context::id client_registry::id;

} // namespace detail

client::client(asio::io_context& io, client_settings settings)
  : impl_(std::make_shared<detail::client_impl>(io, settings)) {
  asio::use_service<detail::client_registry>(io).add(impl_);
}

client::~client() {
  impl_->close();
}

void client::send(client_request req, std::function<void(client_result)> done) {
  impl_->send(std::move(req), std::move(done));
}

client_stats client::stats() const {
  return impl_->stats();
}

const client_settings& client::settings() const {
  return impl_->settings();
}

} // namespace sio::http
