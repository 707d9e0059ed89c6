#include "lib/cluster/bus_codec.hpp"

#include "lib/cluster/msgpack_value.hpp"
#include "lib/cluster/msgpack_writer.hpp"

namespace sio::cluster {

namespace {

using protocol::result;

/// Elements of the top-level array, in order. A message of the first 14
/// (from a node that predates socket listings and acked sends) reads with
/// `after`, `sockets` and `acks` empty.
constexpr size_t field_count = 17;
constexpr size_t first_field_count = 14;

/// The last op this build knows.
constexpr uint64_t last_op = static_cast<uint64_t>(bus_op::resume);

void write_strings(mp_writer& w, const std::vector<std::string>& v) {
  w.array(v.size());
  for (auto& s : v)
    w.str(s);
}

/// Reads mp_values into bus_message fields, remembering the first thing
/// that was wrong.
struct reader {
  std::string error;

  bool fail(const char* what) {
    if (error.empty())
      error = what;
    return false;
  }

  bool string(const mp_value& v, std::string& out, const char* what) {
    if (v.k != mp_value::kind::str)
      return fail(what);
    out.assign(v.bytes);
    return true;
  }

  bool bytes(const mp_value& v, std::string& out, const char* what) {
    if (v.k != mp_value::kind::bin && v.k != mp_value::kind::str)
      return fail(what);
    out.assign(v.bytes);
    return true;
  }

  bool uint(const mp_value& v, uint64_t& out, const char* what) {
    if (v.k != mp_value::kind::uint64)
      return fail(what);
    out = v.u;
    return true;
  }

  bool boolean(const mp_value& v, bool& out, const char* what) {
    if (v.k != mp_value::kind::boolean)
      return fail(what);
    out = v.b;
    return true;
  }

  bool array(const mp_value& v, size_t size, const char* what) {
    return (v.k == mp_value::kind::array && v.items.size() == size) || fail(what);
  }

  bool any_array(const mp_value& v, const char* what) {
    return v.k == mp_value::kind::array || fail(what);
  }

  bool strings(const mp_value& v, std::vector<std::string>& out, const char* what) {
    if (!any_array(v, what))
      return false;
    out.resize(v.items.size());
    for (size_t i = 0; i < v.items.size(); ++i)
      if (!string(v.items[i], out[i], what))
        return false;
    return true;
  }
};

} // namespace

std::string encode_bus_message(const bus_message& m) {
  std::string out;
  mp_writer w{out};
  w.array(field_count);
  w.uinteger(bus_format_version);
  w.uinteger(static_cast<uint8_t>(m.op));
  w.str(m.origin);
  w.uinteger(m.request_id);
  w.array(6);
  w.uinteger(m.to.kind);
  w.str(m.to.name);
  write_strings(w, m.to.excluded);
  write_strings(w, m.to.extra_groups);
  write_strings(w, m.to.excluded_groups);
  w.str(m.to.filter);
  w.array(m.frames.size());
  for (auto& f : m.frames) {
    w.array(2);
    w.boolean(f.binary);
    w.bin(f.bytes);
  }
  w.str(m.nsp);
  w.boolean(m.close);
  w.str(m.reason);
  write_strings(w, m.groups);
  w.boolean(m.add);
  w.uinteger(m.max);
  w.uinteger(m.count);
  w.array(m.connections.size());
  for (auto& [cid, uid] : m.connections) {
    w.array(2);
    w.str(cid);
    w.str(uid);
  }
  w.str(m.after);
  w.array(m.sockets.size());
  for (auto& s : m.sockets) {
    w.array(8);
    w.str(s.socket_id);
    w.str(s.connection_id);
    w.str(s.user_id);
    w.str(s.nsp);
    write_strings(w, s.rooms);
    w.boolean(s.websocket);
    w.str(s.remote_address);
    w.uinteger(s.connected_at_ms);
  }
  w.array(m.acks.size());
  for (auto& a : m.acks) {
    w.array(7);
    w.boolean(a.answered);
    w.str(a.socket_id);
    w.str(a.connection_id);
    w.str(a.user_id);
    w.str(a.args);
    w.array(a.attachments.size());
    for (auto& b : a.attachments)
      w.bin(b);
    w.str(a.reason);
  }
  return out;
}

result<bus_message> decode_bus_message(std::string_view bytes,
                                       const bus_limits& limits) {
  using r = result<bus_message>;
  if (bytes.size() > limits.max_bytes)
    return r::fail("bus message too large");
  // The shared bounded reader: a hostile message costs at most max_values
  // decoded values, whatever lengths it declares.
  codec_limits cl;
  cl.max_bytes = limits.max_bytes;
  cl.max_depth = 4;
  cl.max_values = limits.max_values;
  auto root = decode_msgpack(bytes, cl);
  if (!root)
    return r::fail("bus message: not msgpack: " + root.error());
  reader rd;
  if (root->k != mp_value::kind::array
      || (root->items.size() != field_count && root->items.size() != first_field_count))
    return r::fail("bus message: not an array of " + std::to_string(field_count));
  const auto& f = root->items;
  uint64_t version = 0, op = 0;
  if (!rd.uint(f[0], version, "version") || version != bus_format_version)
    return r::fail("bus message: unknown format version");
  if (!rd.uint(f[1], op, "op") || op < 1 || op > last_op)
    return r::fail("bus message: unknown op");
  bus_message m;
  m.op = static_cast<bus_op>(op);
  uint64_t kind = 0;
  bool ok = rd.string(f[2], m.origin, "origin") && rd.uint(f[3], m.request_id, "request id")
            && rd.array(f[4], 6, "target")
            && rd.uint(f[4].items[0], kind, "target kind")
            && (kind <= 3 || rd.fail("target kind"))
            && rd.string(f[4].items[1], m.to.name, "target name")
            && rd.strings(f[4].items[2], m.to.excluded, "excluded")
            && rd.strings(f[4].items[3], m.to.extra_groups, "extra groups")
            && rd.strings(f[4].items[4], m.to.excluded_groups, "excluded groups")
            && rd.string(f[4].items[5], m.to.filter, "filter")
            && rd.any_array(f[5], "frames");
  if (ok) {
    m.to.kind = static_cast<uint8_t>(kind);
    m.frames.resize(f[5].items.size());
    for (size_t i = 0; ok && i < f[5].items.size(); ++i) {
      const auto& e = f[5].items[i];
      ok = rd.array(e, 2, "frame") && rd.boolean(e.items[0], m.frames[i].binary, "frame")
           && rd.bytes(e.items[1], m.frames[i].bytes, "frame");
    }
  }
  ok = ok && rd.string(f[6], m.nsp, "nsp") && rd.boolean(f[7], m.close, "close")
       && rd.string(f[8], m.reason, "reason") && rd.strings(f[9], m.groups, "groups")
       && rd.boolean(f[10], m.add, "add") && rd.uint(f[11], m.max, "max")
       && rd.uint(f[12], m.count, "count") && rd.any_array(f[13], "connections");
  if (ok) {
    m.connections.resize(f[13].items.size());
    for (size_t i = 0; ok && i < f[13].items.size(); ++i) {
      const auto& e = f[13].items[i];
      ok = rd.array(e, 2, "connection")
           && rd.string(e.items[0], m.connections[i].first, "connection")
           && rd.string(e.items[1], m.connections[i].second, "connection");
    }
  }
  if (ok && f.size() == field_count) {
    ok = rd.string(f[14], m.after, "after") && rd.any_array(f[15], "sockets");
    if (ok)
      m.sockets.resize(f[15].items.size());
    for (size_t i = 0; ok && i < m.sockets.size(); ++i) {
      const auto& e = f[15].items[i];
      auto& s = m.sockets[i];
      ok = rd.array(e, 8, "socket") && rd.string(e.items[0], s.socket_id, "socket")
           && rd.string(e.items[1], s.connection_id, "socket")
           && rd.string(e.items[2], s.user_id, "socket") && rd.string(e.items[3], s.nsp, "socket")
           && rd.strings(e.items[4], s.rooms, "socket rooms")
           && rd.boolean(e.items[5], s.websocket, "socket")
           && rd.string(e.items[6], s.remote_address, "socket")
           && rd.uint(e.items[7], s.connected_at_ms, "socket");
    }
    ok = ok && rd.any_array(f[16], "acks");
    if (ok)
      m.acks.resize(f[16].items.size());
    for (size_t i = 0; ok && i < m.acks.size(); ++i) {
      const auto& e = f[16].items[i];
      auto& a = m.acks[i];
      ok = rd.array(e, 7, "ack") && rd.boolean(e.items[0], a.answered, "ack")
           && rd.string(e.items[1], a.socket_id, "ack")
           && rd.string(e.items[2], a.connection_id, "ack")
           && rd.string(e.items[3], a.user_id, "ack") && rd.string(e.items[4], a.args, "ack")
           && rd.any_array(e.items[5], "ack attachments");
      if (ok) {
        a.attachments.resize(e.items[5].items.size());
        for (size_t k = 0; ok && k < a.attachments.size(); ++k)
          ok = rd.bytes(e.items[5].items[k], a.attachments[k], "ack attachment");
      }
      ok = ok && rd.string(e.items[6], a.reason, "ack");
    }
  }
  if (!ok)
    return r::fail("bus message: bad " + (rd.error.empty() ? std::string{"field"} : rd.error));
  return r::ok(std::move(m));
}

} // namespace sio::cluster
