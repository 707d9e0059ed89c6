// sio/config.hpp (lib/sio/config.hpp)
// The service's configuration file (../shared/docs/config.md) as plain
// values, and its strict loader: unknown fields and bad values are errors
// that name the field. The caller reads the file; the only I/O here is
// checking that the TLS certificate and key files are readable.
#pragma once

#include <sio/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sio::config {

/// With CAF's scheduler: one network I/O thread per two cores (at least 1,
/// at most 4); the other half runs CAF's workers (sessions, handlers,
/// webhook dispatchers). Measured on 2 cores (bench/profile-notes.md): with
/// 1 I/O thread instead of 2 next to CAF's workers the webhook echo went
/// from 70-80 % to 90-99 % of the upstream alone. (With the asio
/// scheduler the loop threads do both, and io_threads follows them.)
uint32_t default_io_threads() noexcept;

/// One actor thread per core (at least 1, at most 64).
uint32_t default_worker_threads() noexcept;

/// Where the service's actors run (config field `scheduler`).
enum class actor_scheduler { asio, caf };

/// One upstream event handler setting of a hub (Azure's shape).
struct event_handler_setting {
  std::string url_template;                ///< with {hub} and {event}
  std::string user_event_pattern;          ///< "*", "a,b", or empty
  std::vector<std::string> system_events;  ///< connect/connected/disconnected
};

/// `connectionStateRecovery` of a hub: a socket lost abnormally is kept
/// for its client to resume (same id, rooms and user, missed packets
/// replayed; README "Connection state recovery"). Every bound is per hub.
struct recovery_setting {
  bool enabled = false;                    ///< the hub has the section
  uint32_t max_disconnection_duration = 120000;  ///< ms a lost socket is kept
  uint32_t max_kept_sessions = 10000;      ///< lost sockets kept at once
  uint32_t max_kept_packets = 10000;       ///< packets in the hub's log
  uint32_t max_kept_bytes = 16u << 20;     ///< their bytes
  uint32_t max_missed_packets = 1000;      ///< one socket may have missed
  uint32_t max_missed_bytes = 1u << 20;    ///< their bytes
};

/// One hub.
struct hub_setting {
  std::string name;
  bool allow_anonymous = false;  ///< anonymousConnectPolicy == "allow"
  std::vector<event_handler_setting> event_handlers;
  /// Extension: an in-process handler by the name the application registered
  /// it under (service::register_in_process_handler; sio-server: "echo",
  /// "chat"); empty = none.
  std::string in_process_handler;
  /// adapterKey: the Socket.IO Redis adapter `key` under which this hub
  /// meets Node.js emitters and servers; empty = `socket.io-{name}`.
  std::string adapter_key;
  /// connectionStateRecovery; absent = off.
  recovery_setting recovery;
};

/// `cluster`: the nodes joined on one Redis (see the README's "Cluster").
struct cluster_setting {
  bool enabled = false;       ///< `cluster` is in the file
  std::string redis;          ///< redis://[[user]:password@]host[:port][/db]
  std::string node_id;        ///< nodeId; empty = generated at start
  std::string channel_prefix = "sio";  ///< channelPrefix of our own channels and keys
  uint32_t heartbeat_interval = 5000;  ///< heartbeatInterval, ms
  uint32_t node_timeout = 15000;       ///< nodeTimeout, ms
  uint32_t request_timeout = 5000;     ///< requestTimeout, ms
};

/// Extension: how upstream webhooks are called (top-level `webhook`).
struct webhook_setting {
  uint32_t connect_timeout = 5000;      ///< connectTimeout, ms
  uint32_t response_timeout = 30000;    ///< responseTimeout, ms
  uint32_t max_connections_per_upstream = 32;  ///< maxConnectionsPerUpstream
  uint32_t max_queued_per_socket = 256;        ///< maxQueuedPerSocket
  /// maxQueuedBytesPerSocket: bytes of the user events of one socket that
  /// wait for (or are being sent to) the upstream.
  uint32_t max_queued_bytes_per_socket = 4u << 20;
  /// maxQueuedBytesPerHub: the same, summed over a hub's sockets.
  uint32_t max_queued_bytes_per_hub = 256u << 20;
  /// maxConnectRequestsPerUpstream: `connect` requests in flight per hub
  /// and upstream. Below maxConnectionsPerUpstream, so that connects which
  /// hang (anyone may send a CONNECT) leave connections for the events of
  /// accepted sockets. Absent from the file: half the pool, at least 1.
  uint32_t max_connect_requests_per_upstream = 16;
  /// drainTimeout, ms: how long a stopping service keeps delivering queued
  /// events (the `disconnected` of every closed socket) before it exits.
  uint32_t drain_timeout = 5000;
};

/// Extension: TLS on the listening port (top-level `tls`); both empty = plain.
struct tls_setting {
  std::string cert_file;  ///< certFile: PEM certificate chain
  std::string key_file;   ///< keyFile: PEM private key
};

/// Extension: resource bounds (top-level `limits`).
struct limits_setting {
  uint32_t max_connections = 19000;  ///< maxConnections: open TCP connections
  /// maxQueuedBytesPerConnection: outbound bytes waiting for one client
  /// (WebSocket write queue, polling queue); over -> that client is closed.
  uint32_t max_queued_bytes = 8u << 20;
  /// maxPendingEventsPerConnection: events awaiting the handler's answer.
  uint32_t max_pending_events = 1024;
  /// maxNamespacesPerConnection: namespaces one connection may join.
  uint32_t max_namespaces = 64;
  /// maxPacketBytes: one Socket.IO packet, its text and all its binary
  /// attachments together; over -> the connection is closed. Absent from
  /// the file: engineio.maxPayload.
  uint32_t max_packet_bytes = 1000000;
  /// maxMetricLabelValues: distinct values one label of one /metrics family
  /// may take (namespaces, close reasons); the rest are counted as `other`.
  uint32_t max_metric_label_values = 100;
};

/// The whole file, with defaults filled in.
struct service_config {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  /// Empty = derived from host and the bound port (see public_endpoint_for).
  std::string public_endpoint;
  std::string primary_key;    ///< empty = generate at start
  std::string secondary_key;  ///< optional
  uint32_t ping_interval = 25000;
  uint32_t ping_timeout = 20000;
  uint32_t max_payload = 1000000;
  uint32_t connect_timeout = 45000;
  std::vector<std::string> cors_origins{"*"};
  std::vector<hub_setting> hubs;
  /// Extension: threads doing network I/O at once. With the `asio`
  /// scheduler, how many of its loops (one per thread, each with its own
  /// epoll set) take connections; with `caf`, how many loops of the
  /// service's own (again one per thread) do. 0 (the default) = automatic:
  /// every loop with `asio`, default_io_threads() with `caf`.
  uint32_t io_threads = 0;
  /// Extension: where actors run. `asio`: on the network loop's threads
  /// (an event is read, handled and answered on one thread); `caf`: on
  /// CAF's work-stealing workers, apart from the network threads.
  actor_scheduler scheduler = actor_scheduler::asio;
  /// Extension: threads running actors (default: one per core, 1 to 64).
  /// With the `asio` scheduler the loop runs max(worker_threads, io_threads)
  /// threads.
  uint32_t worker_threads = default_worker_threads();
  /// Extension: webhook client settings.
  webhook_setting webhook;
  /// Extension: TLS certificate and key (checked readable at load).
  tls_setting tls;
  /// Extension: connection, queue and namespace bounds.
  limits_setting limits;
  /// Several nodes on one Redis; disabled when absent.
  cluster_setting cluster;
};

/// Parses and validates the JSON text of a config file.
protocol::result<service_config> parse_service_config(std::string_view json);

/// `publicEndpoint`, or http(s)://host:port (https with `tls`) with 0.0.0.0
/// shown as 127.0.0.1.
std::string public_endpoint_for(const service_config& cfg, uint16_t bound_port);

/// The hub-name rule of Azure (protocol.md §3.1).
bool is_valid_hub_name(std::string_view name);

/// The adapter key of hub `h`: adapterKey, or `socket.io-{name}`.
std::string adapter_key_of(const hub_setting& h);

} // namespace sio::config
