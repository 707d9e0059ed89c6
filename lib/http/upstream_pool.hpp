// lib/http/upstream_pool.hpp
// The client's connections and wait queue for one origin (host:port): reuses
// idle connections, opens new ones up to the per-origin limit, queues the
// rest up to a bound. Everything runs on the pool's strand.
#pragma once

#include "lib/http/upstream_connection.hpp"

#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace sio::http::detail {

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

} // namespace sio::http::detail
