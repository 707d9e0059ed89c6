// tests/fuzz/cluster_bus_fuzz.cpp
// libFuzzer target: the cluster's bus messages (lib/cluster/bus_codec.hpp),
// which anyone with access to the Redis can publish. Properties: decoding
// never crashes or exceeds its bounds, and a message that decodes encodes
// to bytes that decode to the same message.
#include "lib/cluster/bus_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::cluster;

namespace {

bool same(const bus_socket& a, const bus_socket& b) {
  return a.socket_id == b.socket_id && a.connection_id == b.connection_id
         && a.user_id == b.user_id && a.nsp == b.nsp && a.rooms == b.rooms
         && a.websocket == b.websocket && a.remote_address == b.remote_address
         && a.connected_at_ms == b.connected_at_ms;
}

bool same(const bus_ack& a, const bus_ack& b) {
  return a.answered == b.answered && a.socket_id == b.socket_id
         && a.connection_id == b.connection_id && a.user_id == b.user_id && a.args == b.args
         && a.attachments == b.attachments && a.reason == b.reason;
}

bool same(const bus_message& a, const bus_message& b) {
  if (a.frames.size() != b.frames.size() || a.sockets.size() != b.sockets.size()
      || a.acks.size() != b.acks.size())
    return false;
  for (size_t i = 0; i < a.acks.size(); ++i)
    if (!same(a.acks[i], b.acks[i]))
      return false;
  for (size_t i = 0; i < a.sockets.size(); ++i)
    if (!same(a.sockets[i], b.sockets[i]))
      return false;
  for (size_t i = 0; i < a.frames.size(); ++i)
    if (a.frames[i].binary != b.frames[i].binary || a.frames[i].bytes != b.frames[i].bytes)
      return false;
  return a.op == b.op && a.origin == b.origin && a.request_id == b.request_id
         && a.to.kind == b.to.kind && a.to.name == b.to.name && a.to.excluded == b.to.excluded
         && a.to.extra_groups == b.to.extra_groups
         && a.to.excluded_groups == b.to.excluded_groups && a.to.filter == b.to.filter
         && a.nsp == b.nsp && a.close == b.close && a.reason == b.reason
         && a.groups == b.groups && a.add == b.add && a.max == b.max && a.count == b.count
         && a.connections == b.connections && a.after == b.after;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  bus_limits limits;
  limits.max_values = 10000;
  auto m = decode_bus_message(in, limits);
  if (!m)
    return 0;
  auto again = decode_bus_message(encode_bus_message(*m));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same(*m, *again));
  return 0;
}
