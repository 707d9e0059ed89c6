#include <sio/config.hpp>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <thread>

namespace sio::config {

uint32_t default_io_threads() noexcept {
  auto cores = std::thread::hardware_concurrency(); // 0 when unknown
  return std::clamp<uint32_t>(cores / 2, 1, 4);
}

uint32_t default_worker_threads() noexcept {
  return std::clamp<uint32_t>(std::thread::hardware_concurrency(), 1, 64);
}

namespace {

using protocol::result;
using value = rapidjson::Value;

/// Collects the first error with the path of the field it concerns.
struct checker {
  std::string error;

  bool fail(const std::string& path, const std::string& why) {
    if (error.empty())
      error = path + ": " + why;
    return false;
  }

  bool only_fields(const value& obj, const std::string& path,
                   std::initializer_list<const char*> allowed) {
    for (auto& m : obj.GetObject()) {
      std::string_view name{m.name.GetString(), m.name.GetStringLength()};
      bool known = false;
      for (auto* a : allowed)
        if (name == a)
          known = true;
      if (!known)
        return fail(path.empty() ? std::string{name}
                                 : path + "." + std::string{name},
                    "unknown field");
    }
    return true;
  }

  bool object(const value& v, const std::string& path) {
    return v.IsObject() || fail(path, "must be an object");
  }

  bool string(const value& v, const std::string& path, std::string& out,
              bool non_empty = false) {
    if (!v.IsString())
      return fail(path, "must be a string");
    out.assign(v.GetString(), v.GetStringLength());
    if (non_empty && out.empty())
      return fail(path, "must not be empty");
    return true;
  }

  bool uint(const value& v, const std::string& path, uint64_t min,
            uint64_t max, uint64_t& out) {
    if (!v.IsUint64())
      return fail(path, "must be a non-negative integer");
    out = v.GetUint64();
    if (out < min || out > max)
      return fail(path, "must be between " + std::to_string(min) + " and "
                          + std::to_string(max));
    return true;
  }

  /// One 32-bit setting of a uint_section and its bounds.
  struct uint_field {
    const char* name;
    uint32_t* out;
    uint64_t min, max;
  };

  /// An object of unsigned integer settings only (engineio, webhook,
  /// limits): unknown fields and values out of bounds fail, naming the field.
  bool uint_section(const value& obj, const std::string& path,
                    std::initializer_list<uint_field> fields) {
    if (!object(obj, path))
      return false;
    for (auto& m : obj.GetObject()) {
      std::string_view name{m.name.GetString(), m.name.GetStringLength()};
      bool known = false;
      for (auto& f : fields)
        known = known || name == f.name;
      if (!known)
        return fail(path + "." + std::string{name}, "unknown field");
    }
    return uint_fields(obj, path, fields);
  }

  /// The `fields` of `obj` that are present, each checked against its
  /// bounds (other members are left to the caller).
  bool uint_fields(const value& obj, const std::string& path,
                   std::initializer_list<uint_field> fields) {
    for (auto& f : fields)
      if (auto m = obj.FindMember(f.name); m != obj.MemberEnd()) {
        uint64_t n = 0;
        auto at = path.empty() ? std::string{f.name} : path + "." + f.name;
        if (!uint(m->value, at, f.min, f.max, n))
          return false;
        *f.out = static_cast<uint32_t>(n);
      }
    return true;
  }

  /// A string that must be `first` or `second`; `is_first` says which.
  bool choice(const value& v, const std::string& path, const char* first,
              const char* second, bool& is_first) {
    std::string text;
    if (!string(v, path, text))
      return false;
    if (text != first && text != second)
      return fail(path, std::string{"must be \""} + first + "\" or \"" + second + "\"");
    is_first = text == first;
    return true;
  }

  bool strings(const value& v, const std::string& path,
               std::vector<std::string>& out) {
    if (!v.IsArray())
      return fail(path, "must be an array of strings");
    out.clear();
    for (auto& e : v.GetArray()) {
      if (!e.IsString())
        return fail(path, "must be an array of strings");
      out.emplace_back(e.GetString(), e.GetStringLength());
    }
    return true;
  }
};

bool parse_handler(checker& c, const value& v, const std::string& path,
                   event_handler_setting& out) {
  if (!c.object(v, path)
      || !c.only_fields(v, path,
                        {"urlTemplate", "userEventPattern", "systemEvents"}))
    return false;
  auto url = v.FindMember("urlTemplate");
  if (url == v.MemberEnd())
    return c.fail(path + ".urlTemplate", "is required");
  if (!c.string(url->value, path + ".urlTemplate", out.url_template, true))
    return false;
  if (out.url_template.rfind("http://", 0) != 0
      && out.url_template.rfind("https://", 0) != 0)
    return c.fail(path + ".urlTemplate", "must start with http:// or https://");
  if (auto p = v.FindMember("userEventPattern"); p != v.MemberEnd())
    if (!c.string(p->value, path + ".userEventPattern", out.user_event_pattern))
      return false;
  if (auto s = v.FindMember("systemEvents"); s != v.MemberEnd()) {
    if (!c.strings(s->value, path + ".systemEvents", out.system_events))
      return false;
    for (auto& e : out.system_events)
      if (e != "connect" && e != "connected" && e != "disconnected")
        return c.fail(path + ".systemEvents",
                      "unknown system event \"" + e
                        + "\" (connect, connected, disconnected)");
  }
  return true;
}

bool parse_hub(checker& c, const std::string& name, const value& v,
               hub_setting& out) {
  auto path = "hubs." + name;
  if (!is_valid_hub_name(name))
    return c.fail(path, "invalid hub name (letters, digits, _`,.[]; starts "
                        "with a letter; at most 128 characters)");
  if (!c.object(v, path)
      || !c.only_fields(v, path, {"anonymousConnectPolicy", "eventHandlers",
                                  "inProcessHandler", "adapterKey",
                                  "connectionStateRecovery"}))
    return false;
  out.name = name;
  if (auto p = v.FindMember("anonymousConnectPolicy"); p != v.MemberEnd()) {
    if (!c.choice(p->value, path + ".anonymousConnectPolicy", "allow", "deny",
                  out.allow_anonymous))
      return false;
  }
  if (auto h = v.FindMember("eventHandlers"); h != v.MemberEnd()) {
    if (!h->value.IsArray())
      return c.fail(path + ".eventHandlers", "must be an array");
    size_t i = 0;
    for (auto& e : h->value.GetArray()) {
      event_handler_setting s;
      if (!parse_handler(c, e, path + ".eventHandlers[" + std::to_string(i++) + "]", s))
        return false;
      out.event_handlers.push_back(std::move(s));
    }
  }
  if (auto p = v.FindMember("inProcessHandler"); p != v.MemberEnd()) {
    // Any name: the application registers its handlers by name
    // (service::register_in_process_handler), and start() rejects the rest.
    if (!c.string(p->value, path + ".inProcessHandler", out.in_process_handler))
      return false;
  }
  if (auto k = v.FindMember("adapterKey"); k != v.MemberEnd()) {
    if (!c.string(k->value, path + ".adapterKey", out.adapter_key, true))
      return false;
    // '#' separates the parts of the adapter's channel names.
    if (out.adapter_key.find('#') != std::string::npos || out.adapter_key.size() > 256)
      return c.fail(path + ".adapterKey", "must have at most 256 characters and no '#'");
  }
  if (auto r = v.FindMember("connectionStateRecovery"); r != v.MemberEnd()) {
    auto at = path + ".connectionStateRecovery";
    auto& rec = out.recovery;
    if (!c.object(r->value, at))
      return false;
    if (!r->value.HasMember("maxDisconnectionDuration"))
      return c.fail(at + ".maxDisconnectionDuration", "is required");
    if (!c.uint_section(r->value, at,
                        {{"maxDisconnectionDuration", &rec.max_disconnection_duration, 1000, 86400000},
                         {"maxKeptSessions", &rec.max_kept_sessions, 1, 10000000},
                         {"maxKeptPackets", &rec.max_kept_packets, 1, 10000000},
                         {"maxKeptBytes", &rec.max_kept_bytes, 1024, uint64_t{1} << 31},
                         {"maxMissedPackets", &rec.max_missed_packets, 1, 10000000},
                         {"maxMissedBytes", &rec.max_missed_bytes, 1024, uint64_t{1} << 31}}))
      return false;
    rec.enabled = true;
  }
  return true;
}

/// `cluster`: redis is required; the URL is checked here for its form
/// (scheme), fully when the service starts (lib/cluster/redis_url).
bool parse_cluster(checker& c, const value& v, cluster_setting& out) {
  if (!c.object(v, "cluster")
      || !c.only_fields(v, "cluster", {"redis", "nodeId", "channelPrefix",
                                       "heartbeatInterval", "nodeTimeout",
                                       "requestTimeout"}))
    return false;
  out.enabled = true;
  auto r = v.FindMember("redis");
  if (r == v.MemberEnd())
    return c.fail("cluster.redis", "is required");
  if (!c.string(r->value, "cluster.redis", out.redis, true))
    return false;
  if (out.redis.rfind("rediss://", 0) == 0)
    return c.fail("cluster.redis", "TLS to Redis (rediss://) is not supported");
  if (out.redis.rfind("redis://", 0) != 0)
    return c.fail("cluster.redis", "must start with redis://");
  auto token = [&](const char* name, std::string& field) {
    auto m = v.FindMember(name);
    if (m == v.MemberEnd())
      return true;
    std::string path = std::string{"cluster."} + name;
    if (!c.string(m->value, path, field, true))
      return false;
    if (field.size() > 128)
      return c.fail(path, "must have at most 128 characters");
    for (unsigned char ch : field)
      if (ch <= ' ' || ch == '#' || ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch >= 0x7f)
        return c.fail(path, "must be printable ASCII without spaces, '#', '*', '?', '[' or ']'");
    return true;
  };
  if (!token("nodeId", out.node_id) || !token("channelPrefix", out.channel_prefix))
    return false;
  // The node id starts connection ids (a load balancer routes by it) and
  // names Redis keys: letters, digits, '_' and '-' only.
  if (out.node_id.size() > 64)
    return c.fail("cluster.nodeId", "must have at most 64 characters");
  for (char ch : out.node_id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
      return c.fail("cluster.nodeId", "must be letters, digits, '_' or '-'");
  if (!c.uint_fields(v, "cluster",
                     {{"heartbeatInterval", &out.heartbeat_interval, 100, 600000},
                      {"nodeTimeout", &out.node_timeout, 300, 3600000},
                      {"requestTimeout", &out.request_timeout, 10, 600000}}))
    return false;
  // A node's liveness key lives nodeTimeout - heartbeatInterval, so it
  // outlives each beat by at least one more interval.
  if (out.node_timeout < 3 * uint64_t{out.heartbeat_interval})
    return c.fail("cluster.nodeTimeout", "must be at least 3 x cluster.heartbeatInterval");
  return true;
}

/// `tls`: both files required, and readable now (a typo fails at load,
/// naming the field, not at the first connection).
bool parse_tls(checker& c, const value& v, tls_setting& out) {
  if (!c.object(v, "tls") || !c.only_fields(v, "tls", {"certFile", "keyFile"}))
    return false;
  struct field {
    const char* name;
    std::string* out;
  } fields[] = {{"certFile", &out.cert_file}, {"keyFile", &out.key_file}};
  for (auto& f : fields) {
    std::string path = std::string{"tls."} + f.name;
    auto m = v.FindMember(f.name);
    if (m == v.MemberEnd())
      return c.fail(path, "is required");
    if (!c.string(m->value, path, *f.out, true))
      return false;
    if (!std::ifstream{*f.out})
      return c.fail(path, "cannot read file \"" + *f.out + "\"");
  }
  return true;
}

/// Whether `root.section.field` is in the file.
bool has_member(const value& root, const char* section, const char* field) {
  auto s = root.FindMember(section);
  return s != root.MemberEnd() && s->value.IsObject()
         && s->value.HasMember(field);
}

/// webhook.maxConnectRequestsPerUpstream: half the pool when absent from
/// the file; never more than the pool (it could not be reached).
bool settle_connect_cap(checker& c, bool in_file, webhook_setting& out) {
  if (!in_file) {
    out.max_connect_requests_per_upstream
      = std::max<uint32_t>(1, out.max_connections_per_upstream / 2);
    return true;
  }
  if (out.max_connect_requests_per_upstream > out.max_connections_per_upstream)
    return c.fail("webhook.maxConnectRequestsPerUpstream",
                  "must be at most webhook.maxConnectionsPerUpstream ("
                    + std::to_string(out.max_connections_per_upstream) + ")");
  return true;
}

bool parse_root(checker& c, const value& root, service_config& cfg) {
  if (!c.object(root, "config")
      || !c.only_fields(root, "", {"listen", "publicEndpoint", "accessKeys",
                                   "engineio", "cors", "hubs", "ioThreads",
                                   "scheduler", "workerThreads", "webhook", "tls", "limits",
                                   "cluster"}))
    return false;
  uint64_t n = 0;
  if (auto l = root.FindMember("listen"); l != root.MemberEnd()) {
    if (!c.object(l->value, "listen")
        || !c.only_fields(l->value, "listen", {"host", "port"}))
      return false;
    if (auto h = l->value.FindMember("host"); h != l->value.MemberEnd())
      if (!c.string(h->value, "listen.host", cfg.host, true))
        return false;
    if (auto p = l->value.FindMember("port"); p != l->value.MemberEnd()) {
      if (!c.uint(p->value, "listen.port", 0, 65535, n))
        return false;
      cfg.port = static_cast<uint16_t>(n);
    }
  }
  if (auto p = root.FindMember("publicEndpoint"); p != root.MemberEnd()) {
    if (!c.string(p->value, "publicEndpoint", cfg.public_endpoint, true))
      return false;
    if (cfg.public_endpoint.rfind("http://", 0) != 0
        && cfg.public_endpoint.rfind("https://", 0) != 0)
      return c.fail("publicEndpoint", "must start with http:// or https://");
    while (!cfg.public_endpoint.empty() && cfg.public_endpoint.back() == '/')
      cfg.public_endpoint.pop_back();
  }
  if (auto k = root.FindMember("accessKeys"); k != root.MemberEnd()) {
    if (!c.object(k->value, "accessKeys")
        || !c.only_fields(k->value, "accessKeys", {"primary", "secondary"}))
      return false;
    if (auto p = k->value.FindMember("primary"); p != k->value.MemberEnd())
      if (!c.string(p->value, "accessKeys.primary", cfg.primary_key, true))
        return false;
    if (auto s = k->value.FindMember("secondary"); s != k->value.MemberEnd())
      if (!c.string(s->value, "accessKeys.secondary", cfg.secondary_key))
        return false;
  }
  if (auto e = root.FindMember("engineio"); e != root.MemberEnd())
    if (!c.uint_section(e->value, "engineio",
                        {{"pingInterval", &cfg.ping_interval, 10, 3600000},
                         {"pingTimeout", &cfg.ping_timeout, 10, 3600000},
                         {"maxPayload", &cfg.max_payload, 64, 100000000},
                         {"connectTimeout", &cfg.connect_timeout, 10, 3600000}}))
      return false;
  if (auto co = root.FindMember("cors"); co != root.MemberEnd()) {
    if (!c.object(co->value, "cors")
        || !c.only_fields(co->value, "cors", {"origins"}))
      return false;
    if (auto o = co->value.FindMember("origins"); o != co->value.MemberEnd())
      if (!c.strings(o->value, "cors.origins", cfg.cors_origins))
        return false;
  }
  if (auto w = root.FindMember("webhook"); w != root.MemberEnd())
    if (!c.uint_section(
          w->value, "webhook",
          {{"connectTimeout", &cfg.webhook.connect_timeout, 10, 600000},
           {"responseTimeout", &cfg.webhook.response_timeout, 10, 600000},
           {"maxConnectionsPerUpstream",
            &cfg.webhook.max_connections_per_upstream, 1, 10000},
           {"maxQueuedPerSocket", &cfg.webhook.max_queued_per_socket, 1, 1000000},
           {"maxQueuedBytesPerSocket", &cfg.webhook.max_queued_bytes_per_socket,
            1024, 1u << 30},
           {"maxQueuedBytesPerHub", &cfg.webhook.max_queued_bytes_per_hub, 1024,
            std::numeric_limits<uint32_t>::max()},
           {"maxConnectRequestsPerUpstream",
            &cfg.webhook.max_connect_requests_per_upstream, 1, 10000},
           {"drainTimeout", &cfg.webhook.drain_timeout, 0, 600000}}))
      return false;
  if (!settle_connect_cap(
        c, has_member(root, "webhook", "maxConnectRequestsPerUpstream"),
        cfg.webhook))
    return false;
  if (auto t = root.FindMember("tls"); t != root.MemberEnd())
    if (!parse_tls(c, t->value, cfg.tls))
      return false;
  if (auto l = root.FindMember("limits"); l != root.MemberEnd())
    if (!c.uint_section(
          l->value, "limits",
          {{"maxConnections", &cfg.limits.max_connections, 1, 1000000},
           {"maxQueuedBytesPerConnection", &cfg.limits.max_queued_bytes, 1024,
            1u << 30},
           {"maxPendingEventsPerConnection", &cfg.limits.max_pending_events, 1,
            1000000},
           {"maxNamespacesPerConnection", &cfg.limits.max_namespaces, 1, 10000},
           {"maxPacketBytes", &cfg.limits.max_packet_bytes, 64, 1000000000},
           {"maxMetricLabelValues", &cfg.limits.max_metric_label_values, 1,
            100000}}))
      return false;
  if (!has_member(root, "limits", "maxPacketBytes"))
    cfg.limits.max_packet_bytes = cfg.max_payload;
  if (!c.uint_fields(root, "", {{"ioThreads", &cfg.io_threads, 1, 64},
                                {"workerThreads", &cfg.worker_threads, 1, 64}}))
    return false;
  if (auto t = root.FindMember("scheduler"); t != root.MemberEnd()) {
    bool asio = true;
    if (!c.choice(t->value, "scheduler", "asio", "caf", asio))
      return false;
    cfg.scheduler = asio ? actor_scheduler::asio : actor_scheduler::caf;
  }
  if (auto cl = root.FindMember("cluster"); cl != root.MemberEnd())
    if (!parse_cluster(c, cl->value, cfg.cluster))
      return false;
  if (auto h = root.FindMember("hubs"); h != root.MemberEnd()) {
    if (!c.object(h->value, "hubs"))
      return false;
    for (auto& m : h->value.GetObject()) {
      hub_setting hub;
      std::string name{m.name.GetString(), m.name.GetStringLength()};
      if (!parse_hub(c, name, m.value, hub))
        return false;
      cfg.hubs.push_back(std::move(hub));
    }
  }
  return true;
}

} // namespace

result<service_config> parse_service_config(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError())
    return result<service_config>::fail(
      "config: invalid JSON at offset " + std::to_string(doc.GetErrorOffset())
      + ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  service_config cfg;
  checker c;
  if (!parse_root(c, doc, cfg))
    return result<service_config>::fail(c.error);
  return result<service_config>::ok(std::move(cfg));
}

std::string public_endpoint_for(const service_config& cfg,
                                uint16_t bound_port) {
  if (!cfg.public_endpoint.empty())
    return cfg.public_endpoint;
  std::string host = cfg.host == "0.0.0.0" || cfg.host == "::" ? "127.0.0.1"
                                                               : cfg.host;
  return (cfg.tls.cert_file.empty() ? "http://" : "https://") + host + ":"
         + std::to_string(bound_port);
}

std::string adapter_key_of(const hub_setting& h) {
  return h.adapter_key.empty() ? "socket.io-" + h.name : h.adapter_key;
}

bool is_valid_hub_name(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return false;
  auto alpha = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  };
  if (!alpha(name[0]))
    return false;
  for (char c : name.substr(1)) {
    bool ok = alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '`'
              || c == ',' || c == '.' || c == '[' || c == ']';
    if (!ok)
      return false;
  }
  return true;
}

} // namespace sio::config
