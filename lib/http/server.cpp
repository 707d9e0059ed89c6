#include "lib/http/server.hpp"

#include <array>
#include <deque>
#include <future>

namespace sio::http {

/// Shared by every copy of one exchange; answers the peer when the last
/// copy goes and none responded.
struct exchange::state {
  state(std::shared_ptr<connection> c, request r, uint64_t gen)
    : con(std::move(c)), req(std::move(r)), generation(gen) {
  }
  ~state();

  std::shared_ptr<connection> con;
  request req;
  uint64_t generation;
  std::atomic<bool> answered{false};
  std::shared_ptr<const response> unanswered;
};

// -- connection ---------------------------------------------------------------

/// One accepted TCP connection speaking HTTP/1.1 (over TLS in TLS mode).
/// Every member is touched only on the connection's loop thread.
class connection : public std::enable_shared_from_this<connection> {
public:
  using executor = stream::executor_type;

  connection(stream sock, std::shared_ptr<server::shared_state> shared)
    : stream_(std::move(sock)),
      timer_(stream_.get_executor()),
      shared_(std::move(shared)),
      parser_(shared_->settings.limits) {
    shared_->open.fetch_add(1);
  }

  ~connection() {
    shared_->open.fetch_sub(1);
  }

  void start() {
    asio::error_code ec;
    auto ep = stream_.lowest_layer().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string();
    stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
    if (stream_.is_tls()) {
      // The handshake is the first part of the first request: a peer that
      // opens TCP and stalls is dropped after request_timeout.
      handshaking_ = true;
      arm_timer(shared_->settings.request_timeout);
      stream_.async_handshake([self = shared_from_this()](asio::error_code e) {
        self->on_handshake(e);
      });
      return;
    }
    arm_timer(shared_->settings.idle_timeout);
    do_read();
  }

  /// Refuses the connection with a response and closes it. In TLS mode it
  /// is only closed: an overloaded server does not spend a handshake on it.
  void refuse(response r) {
    if (stream_.is_tls()) {
      close();
      return;
    }
    r.close = true;
    send_response(std::move(r), false);
  }

  // -- called through exchange -----------------------------------------------

  void respond(uint64_t generation, response r) {
    asio::post(timer_.get_executor(),
               [self = shared_from_this(), generation,
                r = std::move(r)]() mutable {
                 if (self->closed_ || generation != self->generation_
                     || !self->handling_)
                   return;
                 self->handling_ = false;
                 self->abort_fn_ = nullptr;
                 self->send_response(std::move(r), self->keep_alive_);
               });
  }

  std::optional<taken_socket> take_socket(uint64_t generation) {
    if (!in_handler_ || generation != generation_ || closed_)
      return std::nullopt;
    if (reading_) {
      // A read is still pending (the request came pipelined behind another):
      // cancel it, or it would swallow the new protocol's first bytes. Its
      // handler runs later and still refers to the TLS state.
      asio::error_code ignored;
      stream_.lowest_layer().cancel(ignored);
      tls_keepalive_ = stream_.tls_keepalive();
    }
    taken_ = true;
    closed_ = true;
    handling_ = false;
    timer_.cancel();
    taken_socket out{std::move(stream_), std::move(pending_)};
    pending_.clear();
    return out;
  }

  void on_abort(uint64_t generation, std::function<void()> fn) {
    if (in_handler_ && generation == generation_)
      abort_fn_ = std::move(fn);
  }

private:
  void on_handshake(const asio::error_code& ec) {
    handshaking_ = false;
    if (closed_)
      return;
    if (ec) {
      if (is_plain_http_on_tls(ec)) {
        // Plain HTTP on the TLS port: answer in plain HTTP (as nginx does)
        // so that the mistake is visible; the TLS state is dropped.
        stream_ = stream{std::move(stream_.lowest_layer())};
        refuse(response::error(400, "BadRequest",
                               "plain HTTP sent to the TLS port; use https://"));
        return;
      }
      close();
      return;
    }
    arm_timer(shared_->settings.idle_timeout);
    do_read();
  }

  void do_read() {
    if (reading_ || closed_)
      return;
    reading_ = true;
    stream_.async_read_some(
      asio::buffer(buf_),
      [self = shared_from_this()](asio::error_code ec, size_t n) {
        self->reading_ = false;
        self->on_read(ec, n);
      });
  }

  void on_read(asio::error_code ec, size_t n) {
    if (closed_)
      return;
    if (lingering_) {
      // After the final response: read and drop (see linger_close).
      drained_ += n;
      if (ec || drained_ > (1u << 20))
        close();
      else
        do_read();
      return;
    }
    if (ec) {
      close();
      return;
    }
    if (handling_ || writing_) {
      // Pipelined bytes while a response is pending: keep a bounded amount
      // for later, and keep reading so a vanished peer is noticed.
      if (pending_.size() + n > shared_->settings.limits.max_url_size
                                  + shared_->settings.limits.max_header_bytes
                                  + shared_->settings.limits.max_body_size) {
        close();
        return;
      }
      pending_.append(buf_.data(), n);
      do_read();
      return;
    }
    pending_.append(buf_.data(), n);
    process_pending();
  }

  /// Parses buffered bytes; dispatches a complete request or reads more.
  void process_pending() {
    size_t consumed = 0;
    auto st = parser_.parse(pending_, consumed);
    pending_.erase(0, consumed);
    switch (st) {
      case request_parser::status::need_more:
        if (parser_.started() && !request_timer_armed_) {
          request_timer_armed_ = true;
          arm_timer(shared_->settings.request_timeout);
        }
        do_read();
        return;
      case request_parser::status::invalid: {
        auto r = response::error(parser_.error_status(), "BadRequest",
                                 parser_.error_reason());
        r.close = true;
        send_response(std::move(r), false);
        return;
      }
      case request_parser::status::complete:
        dispatch();
        return;
    }
  }

  void dispatch() {
    auto st = std::make_shared<exchange::state>(
      shared_from_this(), std::move(parser_.current()), generation_ + 1);
    auto& req = st->req;
    req.remote_address = remote_;
    parser_.reset();
    keep_alive_ = req.keep_alive;
    head_request_ = req.method == "HEAD";
    request_timer_armed_ = false;
    timer_.cancel();
    ++generation_;
    handling_ = true;
    in_handler_ = true;
    exchange ex{std::move(st)};
    shared_->handler(ex);
    in_handler_ = false;
    if (taken_)
      return;
    // Keep a read pending while the response is outstanding, so that a peer
    // that goes away (e.g. a long-poll client) is noticed.
    do_read();
  }

  void send_response(response r, bool keep_alive) {
    if (closed_)
      return;
    keep_alive_ = keep_alive && !r.close;
    out_head_ = serialize_head(r, keep_alive_);
    // A HEAD response has the headers of the GET (Content-Length included)
    // and no body (RFC 9110 §9.3.2).
    if (head_request_)
      r.body.clear();
    out_body_ = std::move(r.body);
    writing_ = true;
    arm_timer(shared_->settings.write_timeout);
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_head_),
                                           asio::buffer(out_body_)};
    stream_.async_write(bufs, [self = shared_from_this()](asio::error_code ec,
                                                          size_t) {
      self->on_written(ec);
    });
  }

  void on_written(asio::error_code ec) {
    writing_ = false;
    out_head_.clear();
    out_body_.clear();
    out_body_.shrink_to_fit();
    if (closed_)
      return;
    if (ec) {
      close();
      return;
    }
    if (!keep_alive_) {
      linger_close();
      return;
    }
    arm_timer(shared_->settings.idle_timeout);
    if (!pending_.empty())
      process_pending();
    else
      do_read();
  }

  /// Half-closes, then drains what the peer still sends for a moment, so
  /// that an error response is not lost to a TCP reset. The drain goes
  /// through on_read: one read at a time, also the one already pending.
  void linger_close() {
    stream_.shutdown_send();
    lingering_ = true;
    arm_timer(std::chrono::milliseconds{2000});
    do_read();
  }

  void arm_timer(std::chrono::milliseconds d) {
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this(),
                       gen = ++timer_generation_](asio::error_code ec) {
      if (ec || gen != self->timer_generation_ || self->closed_)
        return;
      if (self->handshaking_) { // TLS handshake not done within request_timeout
        self->close();
        return;
      }
      if (self->handling_) // a deferred response has no deadline here
        return;
      if (self->request_timer_armed_ && !self->writing_) {
        self->request_timer_armed_ = false;
        auto r = response::error(408, "RequestTimeout",
                                 "request not complete in time");
        self->send_response(std::move(r), false);
        return;
      }
      self->close();
    });
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    timer_.cancel();
    stream_.close();
    if (handling_ && abort_fn_) {
      auto fn = std::move(abort_fn_);
      abort_fn_ = nullptr;
      fn();
    }
    handling_ = false;
  }

  stream stream_;
  asio::steady_timer timer_;
  std::shared_ptr<server::shared_state> shared_;
  request_parser parser_;
  std::array<char, 4096> buf_;
  std::string pending_;
  std::string out_head_;
  std::string out_body_;
  std::string remote_;
  std::function<void()> abort_fn_;
  /// TLS state of a taken stream whose cancelled read has not completed.
  std::shared_ptr<void> tls_keepalive_;
  uint64_t generation_ = 0;
  uint64_t timer_generation_ = 0;
  size_t drained_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool handling_ = false;
  bool in_handler_ = false;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool closed_ = false;
  bool taken_ = false;
  bool lingering_ = false;
  bool handshaking_ = false;
  bool request_timer_armed_ = false;
};

// -- exchange -----------------------------------------------------------------

exchange::state::~state() {
  if (answered.load(std::memory_order_acquire))
    return;
  if (unanswered) {
    con->respond(generation, *unanswered);
    return;
  }
  con->respond(generation,
               response::error(503, "ServiceUnavailable",
                               "the request was dropped before it was answered"));
}

exchange::exchange(std::shared_ptr<state> st) : state_(std::move(st)) {
  // nop
}

const request& exchange::req() const {
  return state_->req;
}

void exchange::respond(response r) const {
  if (!state_)
    return;
  state_->answered.store(true, std::memory_order_release);
  r.headers.insert(r.headers.end(), response_headers_.begin(),
                   response_headers_.end());
  if (status_observer_)
    (*status_observer_)(r.status);
  state_->con->respond(state_->generation, std::move(r));
}

void exchange::observe_status(std::function<void(int)> fn) {
  status_observer_ = std::make_shared<const std::function<void(int)>>(
    std::move(fn));
}

void exchange::add_response_header(std::string name, std::string value) {
  response_headers_.emplace_back(std::move(name), std::move(value));
}

std::optional<taken_socket> exchange::take_socket() const {
  if (!state_)
    return std::nullopt;
  auto taken = state_->con->take_socket(state_->generation);
  if (taken) // the connection is done: nothing left to answer
    state_->answered.store(true, std::memory_order_release);
  return taken;
}

void exchange::on_abort(std::function<void()> fn) const {
  if (state_)
    state_->con->on_abort(state_->generation, std::move(fn));
}

void exchange::set_unanswered_response(
  std::shared_ptr<const response> r) const {
  if (state_)
    state_->unanswered = std::move(r);
}

// -- server -------------------------------------------------------------------

struct server::accept_loop : std::enable_shared_from_this<accept_loop> {
  accept_loop(asio::io_context& io, std::shared_ptr<shared_state> st)
    : io(io),
      acceptor(io),
      retry_timer(io),
      shared(std::move(st)) {
    for (auto* loop : shared->settings.loops)
      loops.push_back(loop->get_executor());
    if (loops.empty())
      loops.push_back(io.get_executor());
  }

  /// Whether the calling thread runs the acceptor's or a connection's loop.
  bool on_loop_thread() const {
    if (io.get_executor().running_in_this_thread())
      return true;
    for (auto* loop : shared->settings.loops)
      if (loop->get_executor().running_in_this_thread())
        return true;
    return false;
  }

  void accept();
  /// On `io`'s thread: closes the acceptor, ends the retry wait.
  void close();

  /// The acceptor's loop. One thread runs it (as every loop in
  /// server_settings::loops), which keeps its handlers and close() apart
  /// without a strand.
  asio::io_context& io;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::shared_ptr<shared_state> shared;
  /// The loops the connections take in turn (settings.loops, or io).
  std::vector<stream::executor_type> loops;
  /// Accepts so far (on `io`'s thread), which picks the next loop.
  size_t accepted = 0;
  std::atomic<bool> stopped{false};
};

void server::accept_loop::close() {
  asio::error_code ec;
  acceptor.close(ec);
  retry_timer.cancel();
}

void server::accept_loop::accept() {
  acceptor.async_accept(
    loops[accepted++ % loops.size()],
    [self = shared_from_this()](asio::error_code ec, stream::tcp_socket sock) {
      if (self->stopped.load())
        return;
      if (ec) {
        if (ec == asio::error::operation_aborted)
          return;
        // Out of file descriptors (or another transient failure): back off
        // instead of spinning on accept.
        self->retry_timer.expires_after(std::chrono::milliseconds{100});
        self->retry_timer.async_wait([self](asio::error_code e) {
          if (!e && !self->stopped.load())
            self->accept();
        });
        return;
      }
      auto& sh = self->shared;
      auto con = std::make_shared<connection>(
        sh->tls ? stream{std::move(sock), *sh->tls} : stream{std::move(sock)}, sh);
      if (sh->open.load() > sh->settings.max_connections) {
        con->refuse(
          response::error(503, "ServiceUnavailable", "too many connections"));
      } else {
        con->start();
      }
      self->accept();
    });
}

server::server(asio::io_context& io, server_settings settings,
               request_handler handler)
  : shared_(std::make_shared<shared_state>()) {
  shared_->settings = std::move(settings);
  shared_->handler = std::move(handler);
  loop_ = std::make_shared<accept_loop>(io, shared_);
}

server::~server() {
  stop();
}

bool server::on_loop_thread() const {
  return loop_->on_loop_thread();
}

void server::start() {
  listen();
  accept();
}

void server::listen() {
  auto& s = shared_->settings;
  if (s.tls.enabled())
    shared_->tls = make_tls_server_context(s.tls);
  auto& acceptor = loop_->acceptor;
  asio::ip::tcp::endpoint ep{asio::ip::make_address(s.host), s.port};
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
}

void server::accept() {
  asio::dispatch(loop_->io, [loop = loop_] { loop->accept(); });
}

void server::stop() {
  if (loop_->stopped.exchange(true))
    return;
  // Close on the acceptor's loop. A caller outside the loops' threads
  // waits (briefly) so that the port is free when stop() returns; one on
  // a loop thread cannot wait for a loop that may be its own.
  if (loop_->on_loop_thread()) {
    asio::dispatch(loop_->io, [loop = loop_] { loop->close(); });
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto closed = done->get_future();
  asio::dispatch(loop_->io, [loop = loop_, done] {
    loop->close();
    done->set_value();
  });
  if (closed.wait_for(std::chrono::seconds{2}) != std::future_status::ready) {
    // The loop is not running (stopped before the server): close here.
    loop_->close();
  }
}

} // namespace sio::http
