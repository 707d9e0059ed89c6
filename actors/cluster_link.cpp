#include "actors/cluster_link.hpp"

#include "actors/atoms.hpp"
#include "lib/auth/random_id.hpp"
#include "lib/cluster/redis_connection.hpp"
#include "lib/cluster/redis_url.hpp"
#include "lib/metrics/metrics.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <future>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace sio {

namespace {

using clock = std::chrono::steady_clock;

/// Heartbeats on `<prefix>#nodes`: "alive <id>" every heartbeatInterval,
/// "leave <id>" when a node stops cleanly.
constexpr std::string_view alive_word = "alive ";
constexpr std::string_view leave_word = "leave ";

} // namespace

struct cluster_link::impl : std::enable_shared_from_this<impl> {
  asio::io_context& io;
  config::cluster_setting cfg;
  cluster::redis_endpoint endpoint;
  std::string id;
  std::string nodes_channel;
  std::shared_ptr<metrics::registry> metrics;
  std::shared_ptr<cluster::redis_connection> pub;
  std::shared_ptr<cluster::redis_connection> sub;
  std::mutex routes_mu;  // guards routes (add_route runs on any thread)
  std::unordered_map<std::string, caf::actor> routes;
  std::vector<std::pair<std::string, caf::actor>> pattern_routes;
  asio::steady_timer heartbeat;
  std::atomic<bool> pub_up{false};
  std::atomic<bool> sub_up{false};
  bool stopped = false;

  mutable std::mutex mu;  // guards seen and reason
  std::unordered_map<std::string, clock::time_point> seen;
  std::string reason = "connecting to Redis";

  impl(asio::io_context& ctx, config::cluster_setting c,
       std::shared_ptr<metrics::registry> m)
    : io(ctx), cfg(std::move(c)), metrics(std::move(m)), heartbeat(ctx) {
    auto ep = cluster::parse_redis_url(cfg.redis);
    if (!ep)
      throw std::invalid_argument("cluster.redis: " + ep.error());
    endpoint = std::move(*ep);
    id = cfg.node_id.empty() ? auth::random_id(16) : cfg.node_id;
    nodes_channel = cfg.channel_prefix + "#nodes";
  }

  void count(std::string_view name, std::string_view help) {
    if (metrics)
      metrics->get_counter(name, help).inc();
  }

  void set_state(bool publisher, bool up, const std::string& why) {
    auto& flag = publisher ? pub_up : sub_up;
    bool was = flag.exchange(up);
    {
      std::lock_guard<std::mutex> lock{mu};
      if (!up)
        reason = "Redis " + endpoint.describe() + ": " + why;
      else if (pub_up && sub_up)
        reason.clear();
    }
    if (was && !up) {
      spdlog::warn("cluster node {}: Redis connection lost ({}): {}", id,
                   publisher ? "publisher" : "subscriber", why);
      count("sio_cluster_bus_errors_total",
            "Redis connections lost or refused by the cluster link");
    } else if (!was && up) {
      spdlog::info("cluster node {}: Redis {} connected ({})", id,
                   endpoint.describe(), publisher ? "publisher" : "subscriber");
      count("sio_cluster_connects_total",
            "Redis connections (re)established by the cluster link");
      if (publisher)
        beat();
    }
    if (metrics)
      metrics->get_gauge("sio_cluster_redis_up",
                         "1 when both Redis connections of the cluster link are up")
        .set(pub_up && sub_up ? 1 : 0);
  }

  void on_message(std::string_view channel, std::string_view pattern,
                  std::string_view payload) {
    if (!pattern.empty()) {
      for (auto& [p, to] : pattern_routes)
        if (p == pattern)
          caf::anon_send(to, bus_atom::value, std::string{channel}, std::string{payload});
      return;
    }
    if (channel == nodes_channel) {
      on_heartbeat(payload);
      return;
    }
    caf::actor to;
    {
      std::lock_guard<std::mutex> lock{routes_mu};
      if (auto r = routes.find(std::string{channel}); r != routes.end())
        to = r->second;
    }
    if (to)
      caf::anon_send(to, bus_atom::value, std::string{channel}, std::string{payload});
  }

  void on_heartbeat(std::string_view payload) {
    std::lock_guard<std::mutex> lock{mu};
    if (payload.substr(0, alive_word.size()) == alive_word) {
      auto node = payload.substr(alive_word.size());
      if (!node.empty() && node.size() <= 128)
        seen[std::string{node}] = clock::now();
    } else if (payload.substr(0, leave_word.size()) == leave_word) {
      seen.erase(std::string{payload.substr(leave_word.size())});
    } else {
      // Not ours: someone else writes on our channel. Dropped, counted.
      if (metrics)
        metrics->get_counter("sio_cluster_bad_messages_total",
                             "bus messages dropped as unreadable")
          .inc();
    }
  }

  void beat() {
    if (stopped)
      return;
    {
      std::lock_guard<std::mutex> lock{mu};
      seen[id] = clock::now();
    }
    pub->command({"PUBLISH", nodes_channel, std::string{alive_word} + id},
                 [](protocol::result<cluster::redis_reply>) {});
    heartbeat.expires_after(std::chrono::milliseconds{cfg.heartbeat_interval});
    heartbeat.async_wait([weak = weak_from_this()](const std::error_code& ec) {
      if (ec)
        return;
      if (auto self = weak.lock())
        self->beat();
    });
  }
};

cluster_link::cluster_link(asio::io_context& io, config::cluster_setting cfg,
                           std::shared_ptr<metrics::registry> metrics)
  : impl_(std::make_shared<impl>(io, std::move(cfg), std::move(metrics))) {
}

cluster_link::~cluster_link() {
  stop();
}

const std::string& cluster_link::node_id() const noexcept {
  return impl_->id;
}

const config::cluster_setting& cluster_link::settings() const noexcept {
  return impl_->cfg;
}

void cluster_link::route(std::string channel, caf::actor to) {
  std::lock_guard<std::mutex> lock{impl_->routes_mu};
  impl_->routes.emplace(std::move(channel), std::move(to));
}

bool cluster_link::add_route(std::string channel, caf::actor to) {
  auto& d = *impl_;
  std::shared_ptr<cluster::redis_connection> sub;
  {
    std::lock_guard<std::mutex> lock{d.routes_mu};
    if (!d.routes.emplace(channel, std::move(to)).second)
      return false;
    sub = d.sub;
  }
  // Before start() the channel goes out with the others; after, the
  // connection adds it to the set it subscribes on every (re)connect.
  if (sub)
    sub->subscribe(std::move(channel));
  return true;
}

void cluster_link::route_pattern(std::string pattern, caf::actor to) {
  impl_->pattern_routes.emplace_back(std::move(pattern), std::move(to));
}

void cluster_link::start() {
  auto& d = *impl_;
  std::weak_ptr<impl> weak = impl_;
  d.pub = cluster::redis_connection::create(d.io, d.endpoint, "sio-" + d.id + "-pub");
  {
    std::lock_guard<std::mutex> lock{d.routes_mu};  // add_route reads sub
    d.sub = cluster::redis_connection::create(d.io, d.endpoint, "sio-" + d.id + "-sub");
  }
  d.pub->on_state([weak](bool up, const std::string& why) {
    if (auto self = weak.lock())
      self->set_state(true, up, why);
  });
  d.sub->on_state([weak](bool up, const std::string& why) {
    if (auto self = weak.lock())
      self->set_state(false, up, why);
  });
  d.sub->on_message([weak](std::string_view channel, std::string_view pattern,
                           std::string_view payload) {
    if (auto self = weak.lock())
      self->on_message(channel, pattern, payload);
  });
  d.sub->subscribe(d.nodes_channel);
  {
    std::lock_guard<std::mutex> lock{d.routes_mu};
    for (auto& [channel, to] : d.routes)
      d.sub->subscribe(channel);
  }
  for (auto& [pattern, to] : d.pattern_routes)
    d.sub->psubscribe(pattern);
  d.pub->start();
  d.sub->start();
}

void cluster_link::stop() {
  auto& d = *impl_;
  if (d.stopped || !d.pub)
    return;
  d.stopped = true;
  // Tell the others at once rather than let them wait out nodeTimeout;
  // bounded, and not from the I/O thread, which must run the reply.
  auto said = std::make_shared<std::promise<void>>();
  auto heard = said->get_future();
  d.pub->command({"PUBLISH", d.nodes_channel, std::string{leave_word} + d.id},
                 [said](protocol::result<cluster::redis_reply>) { said->set_value(); });
  if (!d.io.get_executor().running_in_this_thread())
    heard.wait_for(std::chrono::milliseconds{500});
  asio::post(d.io, [self = impl_] { self->heartbeat.cancel(); });
  d.pub->stop();
  d.sub->stop();
}

void cluster_link::publish(std::string channel, std::string payload,
                           done_handler done) {
  impl_->pub->command({"PUBLISH", std::move(channel), std::move(payload)},
                      [done = std::move(done)](protocol::result<cluster::redis_reply> r) {
                        if (!r)
                          done(false, r.error());
                        else if (r->type == cluster::redis_reply::kind::error)
                          done(false, r->str);
                        else
                          done(true, {});
                      });
}

bool cluster_link::up() const {
  return impl_->pub_up && impl_->sub_up;
}

std::string cluster_link::down_reason() const {
  std::lock_guard<std::mutex> lock{impl_->mu};
  return up() ? std::string{} : impl_->reason;
}

std::vector<std::string> cluster_link::live_nodes() const {
  auto& d = *impl_;
  auto limit = clock::now() - std::chrono::milliseconds{d.cfg.node_timeout};
  std::lock_guard<std::mutex> lock{d.mu};
  std::vector<std::string> out{d.id};
  for (auto it = d.seen.begin(); it != d.seen.end();) {
    if (it->second < limit && it->first != d.id) {
      it = d.seen.erase(it);
      continue;
    }
    if (it->first != d.id)
      out.push_back(it->first);
    ++it;
  }
  return out;
}

} // namespace sio
