#include "lib/cluster/kept_session.hpp"

#include "lib/cluster/msgpack_value.hpp"
#include "lib/cluster/msgpack_writer.hpp"

namespace sio::cluster {

namespace {

/// The first element of both values: a change of layout gets a new number,
/// and a node refuses a layout it does not know rather than misread it.
constexpr uint64_t record_version = 1;
constexpr uint64_t packet_version = 1;

using kind = mp_value::kind;

template <class T>
protocol::result<T> fail_as(std::string why) {
  return protocol::result<T>::fail(std::move(why));
}

bool is_text(const mp_value& v) {
  return v.k == kind::str || v.k == kind::bin;
}

} // namespace

std::string encode_kept_record(const kept_record& r) {
  std::string out;
  mp_writer w{out};
  w.array(9);
  w.uinteger(record_version);
  for (auto* s : {&r.node, &r.nsp, &r.socket_id, &r.connection_id, &r.user_id, &r.reason})
    w.str(*s);
  w.integer(r.expires_ms);
  w.array(r.groups.size());
  for (auto& g : r.groups)
    w.str(g);
  return out;
}

protocol::result<kept_record> decode_kept_record(std::string_view bytes) {
  auto v = decode_msgpack(bytes);
  if (!v)
    return fail_as<kept_record>("kept record: " + v.error());
  auto& a = v->items;
  if (v->k != kind::array || a.size() != 9)
    return fail_as<kept_record>("kept record: not an array of 9");
  if (a[0].k != kind::uint64 || a[0].u != record_version)
    return fail_as<kept_record>("kept record: unknown version");
  kept_record r;
  std::string* fields[] = {&r.node, &r.nsp, &r.socket_id, &r.connection_id, &r.user_id,
                           &r.reason};
  for (size_t i = 0; i < 6; ++i) {
    if (!is_text(a[i + 1]))
      return fail_as<kept_record>("kept record: field " + std::to_string(i + 1) + " is not a string");
    *fields[i] = std::string{a[i + 1].bytes};
  }
  if (a[7].k == kind::uint64)
    r.expires_ms = static_cast<int64_t>(a[7].u);
  else if (a[7].k == kind::int64)
    r.expires_ms = a[7].i;
  else
    return fail_as<kept_record>("kept record: expiry is not an integer");
  if (a[8].k != kind::array)
    return fail_as<kept_record>("kept record: groups are not an array");
  for (auto& g : a[8].items) {
    if (!is_text(g))
      return fail_as<kept_record>("kept record: a group is not a string");
    r.groups.emplace_back(g.bytes);
  }
  if (r.socket_id.empty() || r.connection_id.empty() || r.nsp.empty())
    return fail_as<kept_record>("kept record: no socket, connection or namespace");
  return protocol::result<kept_record>::ok(std::move(r));
}

std::string encode_kept_packet(const kept_packet& p) {
  std::string out;
  mp_writer w{out};
  w.array(2 + p.frames.size());
  w.uinteger(packet_version);
  w.uinteger(p.offset);
  for (auto& [binary, bytes] : p.frames) {
    if (binary)
      w.bin(bytes);
    else
      w.str(bytes);
  }
  return out;
}

protocol::result<kept_packet> decode_kept_packet(std::string_view bytes) {
  auto v = decode_msgpack(bytes);
  if (!v)
    return fail_as<kept_packet>("kept packet: " + v.error());
  auto& a = v->items;
  if (v->k != kind::array || a.size() < 3)
    return fail_as<kept_packet>("kept packet: not an array of 3 or more");
  if (a[0].k != kind::uint64 || a[0].u != packet_version)
    return fail_as<kept_packet>("kept packet: unknown version");
  if (a[1].k != kind::uint64)
    return fail_as<kept_packet>("kept packet: offset is not an unsigned integer");
  if (a[2].k != kind::str)
    return fail_as<kept_packet>("kept packet: its first frame is not text");
  kept_packet p;
  p.offset = a[1].u;
  for (size_t i = 2; i < a.size(); ++i) {
    if (i > 2 && a[i].k != kind::bin)
      return fail_as<kept_packet>("kept packet: an attachment is not binary");
    p.frames.emplace_back(a[i].k == kind::bin, std::string{a[i].bytes});
  }
  return protocol::result<kept_packet>::ok(std::move(p));
}

} // namespace sio::cluster
