// Tests for <sio/config.hpp>: the byte bounds of packets and of
// the webhook backlog, and the cap on connect requests in flight (their
// defaults, derived defaults, bounds and the errors naming the field).
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <sio/config.hpp>

#include <stdexcept>
#include <string>

using namespace sio::config;

namespace {

service_config parse_ok(const std::string& json) {
  auto r = parse_service_config(json);
  BOOST_TEST_REQUIRE(r.has_value(), (r ? std::string{} : r.error()));
  return *r;
}

std::string parse_error(const std::string& json) {
  auto r = parse_service_config(json);
  BOOST_TEST_REQUIRE(!r.has_value());
  return r.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(service_config_test)

BOOST_AUTO_TEST_CASE(defaults) {
  auto cfg = parse_ok("{}");
  BOOST_TEST(cfg.limits.max_packet_bytes == 1000000u);
  BOOST_TEST(cfg.webhook.max_queued_bytes_per_socket == 4u << 20);
  BOOST_TEST(cfg.webhook.max_queued_bytes_per_hub == 256u << 20);
  BOOST_TEST(cfg.webhook.max_connections_per_upstream == 32u);
  BOOST_TEST(cfg.webhook.max_connect_requests_per_upstream == 16u);
}

BOOST_AUTO_TEST_CASE(packet_bytes_follow_max_payload_unless_set) {
  auto cfg = parse_ok(R"({"engineio":{"maxPayload":2000000}})");
  BOOST_TEST(cfg.limits.max_packet_bytes == 2000000u);
  cfg = parse_ok(R"({"engineio":{"maxPayload":2000000},
                     "limits":{"maxPacketBytes":10000000}})");
  BOOST_TEST(cfg.limits.max_packet_bytes == 10000000u);
  cfg = parse_ok(R"({"limits":{"maxConnections":10}})");
  BOOST_TEST(cfg.limits.max_packet_bytes == 1000000u);
}

BOOST_AUTO_TEST_CASE(byte_bounds_are_read_and_checked) {
  auto cfg = parse_ok(R"({"webhook":{"maxQueuedBytesPerSocket":65536,
                                     "maxQueuedBytesPerHub":4294967295}})");
  BOOST_TEST(cfg.webhook.max_queued_bytes_per_socket == 65536u);
  BOOST_TEST(cfg.webhook.max_queued_bytes_per_hub == 4294967295u);
  BOOST_TEST(parse_error(R"({"webhook":{"maxQueuedBytesPerSocket":100}})")
             == "webhook.maxQueuedBytesPerSocket: must be between 1024 and 1073741824");
  BOOST_TEST(parse_error(R"({"webhook":{"maxQueuedBytesPerHub":4294967296}})")
             == "webhook.maxQueuedBytesPerHub: must be between 1024 and 4294967295");
  BOOST_TEST(parse_error(R"({"limits":{"maxPacketBytes":10}})")
             == "limits.maxPacketBytes: must be between 64 and 1000000000");
}

BOOST_AUTO_TEST_CASE(connect_cap_defaults_to_half_the_pool) {
  BOOST_TEST(parse_ok(R"({"webhook":{"maxConnectionsPerUpstream":8}})")
               .webhook.max_connect_requests_per_upstream == 4u);
  BOOST_TEST(parse_ok(R"({"webhook":{"maxConnectionsPerUpstream":1}})")
               .webhook.max_connect_requests_per_upstream == 1u);
  BOOST_TEST(parse_ok(R"({"webhook":{"maxConnectionsPerUpstream":3}})")
               .webhook.max_connect_requests_per_upstream == 1u);
}

BOOST_AUTO_TEST_CASE(connect_cap_set_is_at_most_the_pool) {
  BOOST_TEST(parse_ok(R"({"webhook":{"maxConnectRequestsPerUpstream":32}})")
               .webhook.max_connect_requests_per_upstream == 32u);
  BOOST_TEST(parse_ok(R"({"webhook":{"maxConnectionsPerUpstream":64,
                                     "maxConnectRequestsPerUpstream":5}})")
               .webhook.max_connect_requests_per_upstream == 5u);
  BOOST_TEST(parse_error(R"({"webhook":{"maxConnectRequestsPerUpstream":33}})")
             == "webhook.maxConnectRequestsPerUpstream: must be at most "
                "webhook.maxConnectionsPerUpstream (32)");
  BOOST_TEST(parse_error(R"({"webhook":{"maxConnectRequestsPerUpstream":0}})")
             == "webhook.maxConnectRequestsPerUpstream: must be between 1 and 10000");
}

BOOST_AUTO_TEST_CASE(cluster_is_off_unless_configured) {
  auto cfg = parse_ok("{}");
  BOOST_TEST(!cfg.cluster.enabled);
  cfg = parse_ok(R"({"hubs":{"chat":{}}})");
  BOOST_TEST(adapter_key_of(cfg.hubs.at(0)) == "socket.io-chat");
}

BOOST_AUTO_TEST_CASE(cluster_settings_are_read_with_defaults) {
  auto cfg = parse_ok(R"({"cluster":{"redis":"redis://127.0.0.1:6379/2"},
                          "hubs":{"chat":{"adapterKey":"socket.io"}}})");
  BOOST_TEST(cfg.cluster.enabled);
  BOOST_TEST(cfg.cluster.redis == "redis://127.0.0.1:6379/2");
  BOOST_TEST(cfg.cluster.node_id.empty());
  BOOST_TEST(cfg.cluster.channel_prefix == "sio");
  BOOST_TEST(cfg.cluster.heartbeat_interval == 5000u);
  BOOST_TEST(cfg.cluster.node_timeout == 15000u);
  BOOST_TEST(cfg.cluster.request_timeout == 5000u);
  BOOST_TEST(adapter_key_of(cfg.hubs.at(0)) == "socket.io");
  cfg = parse_ok(R"({"cluster":{"redis":"redis://h","nodeId":"n1","channelPrefix":"p",
                     "heartbeatInterval":1000,"nodeTimeout":3000,"requestTimeout":200}})");
  BOOST_TEST(cfg.cluster.node_id == "n1");
  BOOST_TEST(cfg.cluster.channel_prefix == "p");
  BOOST_TEST(cfg.cluster.node_timeout == 3000u);
  BOOST_TEST(cfg.cluster.request_timeout == 200u);
}

BOOST_AUTO_TEST_CASE(bad_cluster_settings_name_the_field) {
  BOOST_TEST(parse_error(R"({"cluster":{}})") == "cluster.redis: is required");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"rediss://h"}})")
             == "cluster.redis: TLS to Redis (rediss://) is not supported");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"http://h"}})")
             == "cluster.redis: must start with redis://");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","nodeID":"x"}})")
             == "cluster.nodeID: unknown field");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","nodeId":"a b"}})")
             == "cluster.nodeId: must be printable ASCII without spaces, '#', '*', '?', '[' or ']'");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","nodeId":"a.b"}})")
             == "cluster.nodeId: must be letters, digits, '_' or '-'");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","channelPrefix":"a b"}})")
             == "cluster.channelPrefix: must be printable ASCII without spaces, '#', '*', '?', '[' or ']'");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","heartbeatInterval":5000,"nodeTimeout":14999}})")
             == "cluster.nodeTimeout: must be at least 3 x cluster.heartbeatInterval");
  BOOST_TEST(parse_error(R"({"cluster":{"redis":"redis://h","requestTimeout":0}})")
             == "cluster.requestTimeout: must be between 10 and 600000");
  BOOST_TEST(parse_error(R"({"hubs":{"chat":{"adapterKey":"a#b"}}})")
             == "hubs.chat.adapterKey: must have at most 256 characters and no '#'");
}

BOOST_AUTO_TEST_CASE(recovery_is_per_hub_with_defaults) {
  auto cfg = parse_ok(R"({"hubs":{"a":{},"b":{"connectionStateRecovery":{"maxDisconnectionDuration":5000}},
                          "c":{"connectionStateRecovery":{"maxDisconnectionDuration":1000,
                               "maxKeptSessions":2,"maxKeptPackets":3,"maxKeptBytes":4096,
                               "maxMissedPackets":5,"maxMissedBytes":2048}}}})");
  auto& hubs = cfg.hubs;
  auto find = [&](const std::string& name) -> const sio::config::hub_setting& {
    for (auto& h : hubs)
      if (h.name == name)
        return h;
    throw std::runtime_error("no hub " + name);
  };
  BOOST_TEST(!find("a").recovery.enabled);
  auto& b = find("b").recovery;
  BOOST_TEST(b.enabled);
  BOOST_TEST(b.max_disconnection_duration == 5000u);
  BOOST_TEST(b.max_kept_sessions == 10000u);
  BOOST_TEST(b.max_kept_packets == 10000u);
  BOOST_TEST(b.max_kept_bytes == 16u << 20);
  BOOST_TEST(b.max_missed_packets == 1000u);
  BOOST_TEST(b.max_missed_bytes == 1u << 20);
  auto& c = find("c").recovery;
  BOOST_TEST(c.max_kept_sessions == 2u);
  BOOST_TEST(c.max_kept_packets == 3u);
  BOOST_TEST(c.max_kept_bytes == 4096u);
  BOOST_TEST(c.max_missed_packets == 5u);
  BOOST_TEST(c.max_missed_bytes == 2048u);
}

BOOST_AUTO_TEST_CASE(bad_recovery_settings_name_the_field) {
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":true}}})")
             == "hubs.h.connectionStateRecovery: must be an object");
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":{}}}})")
             == "hubs.h.connectionStateRecovery.maxDisconnectionDuration: is required");
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":{"maxDisconnectionDuration":999}}}})")
             == "hubs.h.connectionStateRecovery.maxDisconnectionDuration: must be between 1000 and 86400000");
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":{"maxDisconnectionDuration":-1}}}})")
             == "hubs.h.connectionStateRecovery.maxDisconnectionDuration: must be a non-negative integer");
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":{"maxDisconnectionDuration":1000,"maxKeptSessions":0}}}})")
             == "hubs.h.connectionStateRecovery.maxKeptSessions: must be between 1 and 10000000");
  BOOST_TEST(parse_error(R"({"hubs":{"h":{"connectionStateRecovery":{"maxDisconnectionDuration":1000,"skipMiddlewares":true}}}})")
             == "hubs.h.connectionStateRecovery.skipMiddlewares: unknown field");
}

BOOST_AUTO_TEST_SUITE_END()
