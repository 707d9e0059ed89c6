#include "lib/http/upstream_connection.hpp"

#include "lib/http/upstream_pool.hpp"
#include "lib/protocol/ascii.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <utility>

namespace sio::http::detail {

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

bool upstream_connection::count_response_bytes(size_t n) {
  response_bytes_ += n;
  if (response_bytes_ <= shared_->settings.max_response_size)
    return true;
  too_large_ = true;
  return false;
}

int upstream_connection::on_header_field(http_parser* p, const char* at,
                                         size_t n) {
  auto* s = self_of(p);
  if (!s->count_response_bytes(n))
    return -1;
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
  if (!s->count_response_bytes(n))
    return -1;
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
  if (!s->count_response_bytes(n))
    return -1;
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

} // namespace sio::http::detail
