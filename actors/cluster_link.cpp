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
#include <ctime>
#include <optional>
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

/// Nodes the live table holds at most.
constexpr size_t max_nodes = 1024;

/// A kept socket's packets outlive its window by this much in Redis (its
/// record goes when it resumes or ends; the list expires by itself too).
constexpr int64_t missed_list_slack_ms = 10000;

/// Appends ARGV[1] to each list of KEYS, each expiring at ARGV[i + 1]: one
/// command for every kept socket a send reaches.
constexpr const char* append_missed_script =
  "for i, k in ipairs(KEYS) do "
  "redis.call('RPUSH', k, ARGV[1]) redis.call('PEXPIREAT', k, ARGV[i + 1]) end "
  "return #KEYS";

/// Takes a kept socket, atomically, so that one node alone gets it: its
/// record (KEYS[1] field ARGV[1]) and its node's socket record (KEYS[2]
/// field ARGV[2], so that the dead node's reaper does not end it too)
/// go, and its packets (KEYS[3]) are returned and go. Nil when another
/// node took it first.
constexpr const char* take_kept_script =
  "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return false end "
  "redis.call('HDEL', KEYS[2], ARGV[2]) "
  "local l = redis.call('LRANGE', KEYS[3], 0, -1) "
  "redis.call('DEL', KEYS[3]) "
  "return l";

} // namespace

struct cluster_link::impl : std::enable_shared_from_this<impl>, socket_directory {
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
  orphans_handler on_orphans;
  std::string nodes_key;    ///< <p>:nodes
  std::string sockets_key;  ///< <p>:sockets:<id>
  std::string kept_key;     ///< <p>:kept
  asio::steady_timer heartbeat;
  std::atomic<bool> pub_up{false};
  std::atomic<bool> sub_up{false};
  bool stopped = false;
  bool previous_run_taken = false;  ///< take_previous_run() ran (I/O thread)

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
    nodes_key = cfg.channel_prefix + ":nodes";
    sockets_key = sockets_key_of(id);
    kept_key = cfg.channel_prefix + ":kept";
  }

  std::string missed_key_of(const std::string& hub, const std::string& pid) const {
    return cfg.channel_prefix + ":missed:" + hub + ":" + pid;
  }

  static std::string kept_field(const std::string& hub, const std::string& pid) {
    return hub + '\x1f' + pid;
  }

  std::string node_key_of(const std::string& node) const {
    return cfg.channel_prefix + ":node:" + node;
  }

  std::string sockets_key_of(const std::string& node) const {
    return cfg.channel_prefix + ":sockets:" + node;
  }

  /// A command whose answer does not matter (records kept best-effort:
  /// with Redis away they are simply not written).
  void fire(std::vector<std::string> argv) {
    pub->command(std::move(argv), [](protocol::result<cluster::redis_reply>) {});
  }

  /// Each heartbeat: nodes that announced themselves and no longer beat.
  void look_for_dead_nodes() {
    pub->command({"SMEMBERS", nodes_key}, [weak = weak_from_this()](
                                           protocol::result<cluster::redis_reply> r) {
      auto self = weak.lock();
      if (!self || !r || r->type != cluster::redis_reply::kind::array)
        return;
      for (auto& e : r->elements)
        if (e.type == cluster::redis_reply::kind::string && e.str != self->id)
          self->check_node(e.str);
    });
  }

  void check_node(const std::string& node) {
    pub->command({"EXISTS", node_key_of(node)},
                 [weak = weak_from_this(), node](protocol::result<cluster::redis_reply> r) {
                   auto self = weak.lock();
                   if (!self || !r || r->type != cluster::redis_reply::kind::integer
                       || r->integer != 0)
                     return;
                   self->claim(node);
                 });
  }

  /// The first node to claim a dead one ends its sockets.
  void claim(const std::string& node) {
    pub->command({"SET", cfg.channel_prefix + ":reap:" + node, id, "NX", "PX", "60000"},
                 [weak = weak_from_this(), node](protocol::result<cluster::redis_reply> r) {
                   auto self = weak.lock();
                   if (!self || !r || r->type != cluster::redis_reply::kind::status)
                     return; // another node has it (nil), or Redis failed
                   self->reap(node);
                 });
  }

  void reap(const std::string& node) {
    spdlog::warn("cluster node {}: node {} stopped beating; ending its sockets", id, node);
    {
      std::lock_guard<std::mutex> lock{mu};
      seen.erase(node);
    }
    // The sockets it kept for recovery first: each taken over here (unless
    // a resume elsewhere took it first), its socket record gone with it.
    take_all_kept(node, [weak = weak_from_this(), node](auto taken) {
      if (auto self = weak.lock())
        self->end_sockets_of(node, std::move(taken));
    });
  }

  /// Takes every socket `node` kept for recovery (those another node does
  /// not take first); `then` gets them once every claim is answered.
  void take_all_kept(const std::string& node,
                     std::function<void(std::shared_ptr<std::vector<taken_socket>>)> then) {
    auto taken = std::make_shared<std::vector<taken_socket>>();
    pub->command({"HGETALL", kept_key}, [weak = weak_from_this(), node, taken,
                                         then = std::move(then)](
                                          protocol::result<cluster::redis_reply> r) mutable {
      auto self = weak.lock();
      if (!self)
        return;
      if (r && r->type == cluster::redis_reply::kind::array) {
        auto& e = r->elements;
        for (size_t i = 0; i + 1 < e.size(); i += 2) {
          auto cut = e[i].str.find('\x1f');
          auto rec = cluster::decode_kept_record(e[i + 1].str);
          if (cut == std::string::npos || !rec || rec->node != node)
            continue;
          self->claim_kept(e[i].str.substr(0, cut), e[i].str.substr(cut + 1), std::move(*rec),
                           [taken](std::optional<taken_socket> t) {
                             if (t)
                               taken->push_back(std::move(*t));
                           });
        }
      }
      // Answered after the claims (one connection answers in order).
      self->pub->command({"PING"}, [taken, then = std::move(then)](
                                     protocol::result<cluster::redis_reply>) { then(taken); });
    });
  }

  /// Once, when the node first reaches Redis: the sockets this node's
  /// previous run kept (it was killed, or its host went) are kept again.
  void take_previous_run() {
    take_all_kept(id, [weak = weak_from_this()](auto taken) {
      auto self = weak.lock();
      if (!self || taken->empty() || !self->on_orphans)
        return;
      spdlog::info("cluster node {}: {} socket(s) kept by this node's previous run kept again",
                   self->id, taken->size());
      self->on_orphans({}, std::move(*taken), "node lost");
    });
  }

  void end_sockets_of(const std::string& node,
                      std::shared_ptr<std::vector<taken_socket>> taken) {
    pub->command({"HGETALL", sockets_key_of(node)},
                 [weak = weak_from_this(), node, taken](protocol::result<cluster::redis_reply> r) {
                   auto self = weak.lock();
                   if (!self)
                     return;
                   std::vector<socket_ref> sockets;
                   if (r && r->type == cluster::redis_reply::kind::array) {
                     auto& e = r->elements;
                     for (size_t i = 0; i + 1 < e.size(); i += 2)
                       if (auto ref = parse_socket_field(e[i].str, e[i + 1].str))
                         sockets.push_back(std::move(*ref));
                   }
                   if (self->metrics)
                     self->metrics
                       ->get_counter("sio_cluster_nodes_reaped_total",
                                     "dead nodes whose sockets this node ended")
                       .inc();
                   if (self->on_orphans && (!sockets.empty() || !taken->empty()))
                     self->on_orphans(std::move(sockets), std::move(*taken), "node lost");
                   self->fire({"DEL", self->sockets_key_of(node)});
                   self->fire({"SREM", self->nodes_key, node});
                 });
  }

  /// Takes kept socket `pid` of `hub` (take_kept_script); `done` gets it,
  /// or nothing when another node took it first or Redis failed.
  void claim_kept(std::string hub, std::string pid, cluster::kept_record rec,
                  taken_handler done) {
    socket_ref ref{hub, rec.connection_id, rec.nsp, rec.socket_id, rec.user_id};
    // Built before `rec` moves into the callback.
    std::vector<std::string> argv{"EVAL",
                                  take_kept_script,
                                  "3",
                                  kept_key,
                                  sockets_key_of(rec.node),
                                  missed_key_of(hub, pid),
                                  kept_field(hub, pid),
                                  socket_field(ref)};
    pub->command(std::move(argv),
                 [hub, pid, rec = std::move(rec), done = std::move(done)](
                   protocol::result<cluster::redis_reply> r) mutable {
                   if (!r || r->type != cluster::redis_reply::kind::array)
                     return done(std::nullopt);
                   taken_socket t{std::move(hub), std::move(pid), std::move(rec), {}};
                   for (auto& e : r->elements)
                     t.packets.push_back(std::move(e.str));
                   done(std::move(t));
                 });
  }

  static std::string socket_field(const socket_ref& s) {
    std::string f;
    f.reserve(s.hub.size() + s.connection_id.size() + s.socket_id.size() + s.nsp.size() + 3);
    f.append(s.hub).append(1, '\x1f').append(s.connection_id).append(1, '\x1f');
    f.append(s.socket_id).append(1, '\x1f').append(s.nsp);
    return f;
  }

  static std::optional<socket_ref> parse_socket_field(std::string_view f,
                                                      std::string_view user) {
    socket_ref s;
    std::string_view hub, conn, sid;
    for (auto* p : {&hub, &conn, &sid}) {
      auto cut = f.find('\x1f');
      if (cut == std::string_view::npos)
        return std::nullopt;
      *p = f.substr(0, cut);
      f.remove_prefix(cut + 1);
    }
    s.hub = std::string{hub};
    s.connection_id = std::string{conn};
    s.socket_id = std::string{sid};
    s.nsp = std::string{f};
    s.user_id = std::string{user};
    return s;
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
      if (publisher) {
        if (!previous_run_taken) {
          previous_run_taken = true;
          take_previous_run();
        }
        beat();
      }
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
      // Bounded: anyone can publish here; a flood of made-up nodes stops
      // at max_nodes (they would only make queries wait requestTimeout).
      if (!node.empty() && node.size() <= 128
          && (seen.size() < max_nodes || seen.count(std::string{node}) > 0))
        seen[std::string{node}] = clock::now();
    } else if (payload.substr(0, leave_word.size()) == leave_word) {
      seen.erase(std::string{payload.substr(leave_word.size())});
    } else {
      // Not ours: someone else writes on our channel. Dropped, counted.
      if (metrics)
        metrics->get_counter("sio_cluster_bad_messages_total",
                             "messages on the cluster's channels dropped as unreadable")
          .inc();
    }
  }

  /// Live nodes (heard within nodeTimeout), this one included.
  size_t live_count() {
    auto limit = clock::now() - std::chrono::milliseconds{cfg.node_timeout};
    std::lock_guard<std::mutex> lock{mu};
    size_t n = 1;
    for (auto& [node, at] : seen)
      n += node != id && at >= limit;
    return n;
  }

  void joined(const socket_ref& s) override {
    fire({"HSET", sockets_key, socket_field(s), s.user_id});
  }

  void left(const socket_ref& s) override {
    fire({"HDEL", sockets_key, socket_field(s)});
  }

  void kept(const std::string& hub, const std::string& pid, cluster::kept_record record,
            std::vector<std::string> packets) override {
    record.node = id;
    auto expires = std::to_string(record.expires_ms + missed_list_slack_ms);
    fire({"HSET", kept_key, kept_field(hub, pid), cluster::encode_kept_record(record)});
    auto key = missed_key_of(hub, pid);
    fire({"DEL", key});
    if (packets.empty())
      return;
    std::vector<std::string> argv{"RPUSH", key};
    argv.insert(argv.end(), std::make_move_iterator(packets.begin()),
                std::make_move_iterator(packets.end()));
    fire(std::move(argv));
    fire({"PEXPIREAT", std::move(key), std::move(expires)});
  }

  void kept_changed(const std::string& hub, const std::string& pid,
                    cluster::kept_record record) override {
    record.node = id;
    fire({"HSET", kept_key, kept_field(hub, pid), cluster::encode_kept_record(record)});
  }

  void missed(const std::string& hub, const std::vector<kept_ref>& sockets,
              std::string packet) override {
    std::vector<std::string> argv{"EVAL", append_missed_script, std::to_string(sockets.size())};
    argv.reserve(3 + 2 * sockets.size() + 1);
    for (auto& [pid, expires] : sockets)
      argv.push_back(missed_key_of(hub, pid));
    argv.push_back(std::move(packet));
    for (auto& [pid, expires] : sockets)
      argv.push_back(std::to_string(expires + missed_list_slack_ms));
    fire(std::move(argv));
  }

  void kept_ended(const std::string& hub, const std::string& pid) override {
    fire({"HDEL", kept_key, kept_field(hub, pid)});
    fire({"DEL", missed_key_of(hub, pid)});
  }

  void take_kept(const std::string& hub, const std::string& pid, taken_handler done) override {
    auto cmd = std::vector<std::string>{"HGET", kept_key, kept_field(hub, pid)};
    pub->command(std::move(cmd), [weak = weak_from_this(), hub, pid, done = std::move(done)](
                                   protocol::result<cluster::redis_reply> r) mutable {
      auto self = weak.lock();
      if (!self || !r || r->type != cluster::redis_reply::kind::string)
        return done(std::nullopt);
      auto rec = cluster::decode_kept_record(r->str);
      if (!rec) {
        self->count("sio_cluster_bad_messages_total",
                    "messages on the cluster's channels dropped as unreadable");
        return done(std::nullopt);
      }
      // This node's previous run kept it: nobody else will take it over.
      if (rec->node == self->id)
        return self->claim_kept(std::move(hub), std::move(pid), std::move(*rec), std::move(done));
      // Only from a node that no longer lives (its key in Redis is the
      // authority: the heartbeats heard here may be behind).
      auto node = rec->node;
      self->pub->command({"EXISTS", self->node_key_of(node)},
                         [weak, hub = std::move(hub), pid = std::move(pid),
                          rec = std::move(*rec), done = std::move(done)](
                           protocol::result<cluster::redis_reply> r) mutable {
                           auto self = weak.lock();
                           if (!self || !r || r->type != cluster::redis_reply::kind::integer
                               || r->integer != 0)
                             return done(std::nullopt);
                           self->claim_kept(std::move(hub), std::move(pid), std::move(rec),
                                            std::move(done));
                         });
    });
  }

  void beat() {
    if (stopped)
      return;
    {
      std::lock_guard<std::mutex> lock{mu};
      seen[id] = clock::now();
    }
    // The key outlives a beat by at least one more interval (config keeps
    // nodeTimeout >= 3 x heartbeatInterval): a live node never looks dead.
    auto ttl = cfg.node_timeout - cfg.heartbeat_interval;
    fire({"SET", node_key_of(id), std::to_string(std::time(nullptr)), "PX", std::to_string(ttl)});
    fire({"SADD", nodes_key, id});
    fire({"PUBLISH", nodes_channel, std::string{alive_word} + id});
    look_for_dead_nodes();
    if (metrics)
      metrics->get_gauge("sio_cluster_nodes", "live nodes of the cluster, this one included")
        .set(static_cast<int64_t>(live_count()));
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
  // A PUBLISH that Redis does not answer within requestTimeout fails (the
  // REST call answers 503) and the connection is recycled.
  cluster::redis_options pub_options;
  pub_options.command_timeout = std::chrono::milliseconds{d.cfg.request_timeout};
  d.pub = cluster::redis_connection::create(d.io, d.endpoint, "sio-" + d.id + "-pub",
                                            pub_options);
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
  // Its sockets ended one by one (each with its disconnected event, sent
  // by this node); what is left of its records goes now.
  d.fire({"DEL", d.sockets_key});
  d.fire({"SREM", d.nodes_key, d.id});
  d.fire({"DEL", d.node_key_of(d.id)});
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

std::shared_ptr<socket_directory> cluster_link::directory() {
  return impl_;
}

void cluster_link::on_orphans(orphans_handler h) {
  impl_->on_orphans = std::move(h);
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
