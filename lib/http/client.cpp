#include "lib/http/client.hpp"

#include "lib/http/client_request_writer.hpp"
#include "lib/http/upstream_pool.hpp"
#include "lib/protocol/ascii.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace sio::http {

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

namespace detail {

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
