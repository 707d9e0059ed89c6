// lib/cluster/adapter_encoders.cpp: the requests and answers we publish,
// written with Node's key order (see adapter_encoders.hpp).
#include "lib/cluster/adapter_encoders.hpp"

#include "lib/cluster/msgpack_writer.hpp"
#include "lib/protocol/json_scan.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/utf8.hpp"

#include <cstdio>
#include <ctime>

namespace sio::cluster {

using protocol::result;

namespace {

// --- writing JSON --------------------------------------------------------

void add_string(std::string& out, std::string_view s) {
  if (protocol::is_valid_utf8(s))
    protocol::append_json_string(out, s);
  else
    protocol::append_json_string(out, protocol::utf8_sanitized(s));
}

void add_list(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t k = 0; k < list.size(); ++k) {
    if (k)
      out += ',';
    add_string(out, list[k]);
  }
  out += ']';
}

/// {"rooms":[...],"except":[...]}: what Node puts in requests (no flags).
void add_opts(std::string& out, const broadcast_opts& opts) {
  out += R"({"rooms":)";
  add_list(out, opts.rooms);
  out += R"(,"except":)";
  add_list(out, opts.except);
  out += '}';
}

/// `{"uid":..,["requestId":..,]"type":N` (Node's key order); caller closes.
std::string request_head(std::string_view uid, std::optional<std::string_view> request_id,
                         request_type type) {
  std::string out = R"({"uid":)";
  add_string(out, uid);
  if (request_id) {
    out += R"(,"requestId":)";
    add_string(out, *request_id);
  }
  out += R"(,"type":)";
  out += std::to_string(static_cast<int>(type));
  return out;
}

std::string join_leave(request_type type, std::string_view uid, const broadcast_opts& opts,
                       const std::vector<std::string>& rooms) {
  auto out = request_head(uid, std::nullopt, type);
  out += R"(,"opts":)";
  add_opts(out, opts);
  out += R"(,"rooms":)";
  add_list(out, rooms);
  out += '}';
  return out;
}

/// `{"requestId":…,"<field>":[…]}`: the answer shape of the list requests.
std::string list_response(std::string_view request_id, std::string_view field,
                          const std::vector<std::string>& items) {
  std::string out = R"({"requestId":)";
  add_string(out, request_id);
  out += ",\"";
  out += field;
  out += "\":";
  add_list(out, items);
  out += '}';
  return out;
}

} // namespace

std::string encode_sockets_response(std::string_view request_id, const std::vector<std::string>& ids) {
  return list_response(request_id, "sockets", ids);
}

std::string encode_all_rooms_response(std::string_view request_id, const std::vector<std::string>& rooms) {
  return list_response(request_id, "rooms", rooms);
}

std::string encode_fetch_response(std::string_view request_id, const std::vector<fetched_socket>& sockets) {
  std::string out = R"({"requestId":)";
  add_string(out, request_id);
  out += R"(,"sockets":[)";
  for (size_t k = 0; k < sockets.size(); ++k) {
    const auto& s = sockets[k];
    if (k)
      out += ',';
    out += R"({"id":)";
    add_string(out, s.id);
    out += R"(,"handshake":)";
    out += s.handshake_json.empty() ? "{}" : s.handshake_json;
    out += R"(,"rooms":)";
    add_list(out, s.rooms);
    out += R"(,"data":)";
    out += s.data_json.empty() ? "{}" : s.data_json;
    out += '}';
  }
  out += "]}";
  return out;
}

std::string encode_server_side_emit_response(std::string_view request_id, std::string_view data_json) {
  std::string out = R"({"type":6,"requestId":)";
  add_string(out, request_id);
  out += R"(,"data":)";
  out += data_json.empty() ? "null" : data_json;
  out += '}';
  return out;
}

std::string encode_client_count(std::string_view request_id, uint64_t client_count) {
  std::string out = R"({"type":8,"requestId":)";
  add_string(out, request_id);
  out += R"(,"clientCount":)";
  out += std::to_string(client_count);
  out += '}';
  return out;
}

result<std::string> encode_broadcast_ack(std::string_view request_id, std::string_view ack_args_json,
                                         const std::vector<std::string>& attachments) {
  using R = result<std::string>;
  protocol::detail::json_scan_options o;
  o.check_placeholders = true;
  o.attachment_count = attachments.size();
  auto scan = protocol::detail::scan_json(ack_args_json, o);
  if (!scan || scan->root != protocol::detail::json_kind::array)
    return R::fail("ack data is not a JSON array");
  std::string out;
  mp_writer w{out};
  bool has_packet = scan->root_elements > 0;
  w.map(has_packet ? 3 : 2); // notepack drops an undefined member
  w.str("type");
  w.uinteger(9);
  w.str("requestId");
  w.str(request_id);
  if (has_packet) {
    auto open = ack_args_json.find('[');
    auto first = ack_args_json.substr(open + 1, scan->first_end - open - 1);
    w.str("packet");
    auto ok = append_json_as_msgpack(w, first, attachments);
    if (!ok)
      return R::fail(ok.error());
  }
  return R::ok(std::move(out));
}

std::string encode_remote_join(std::string_view uid, const broadcast_opts& opts,
                               const std::vector<std::string>& rooms) {
  return join_leave(request_type::remote_join, uid, opts, rooms);
}

std::string encode_remote_leave(std::string_view uid, const broadcast_opts& opts,
                                const std::vector<std::string>& rooms) {
  return join_leave(request_type::remote_leave, uid, opts, rooms);
}

std::string encode_remote_disconnect(std::string_view uid, const broadcast_opts& opts, bool close) {
  auto out = request_head(uid, std::nullopt, request_type::remote_disconnect);
  out += R"(,"opts":)";
  add_opts(out, opts);
  out += close ? R"(,"close":true})" : R"(,"close":false})";
  return out;
}

std::string encode_fetch_request(std::string_view uid, std::string_view request_id,
                                 const broadcast_opts& opts) {
  auto out = request_head(uid, request_id, request_type::remote_fetch);
  out += R"(,"opts":)";
  add_opts(out, opts);
  out += '}';
  return out;
}

std::string encode_all_rooms_request(std::string_view uid, std::string_view request_id) {
  return request_head(uid, request_id, request_type::all_rooms) + "}";
}

std::string encode_sockets_request(std::string_view uid, std::string_view request_id,
                                   const std::vector<std::string>& rooms) {
  auto out = request_head(uid, request_id, request_type::sockets);
  out += R"(,"rooms":)";
  add_list(out, rooms);
  out += '}';
  return out;
}

std::string encode_server_side_emit(std::string_view uid, std::string_view data_json,
                                    std::optional<std::string_view> request_id) {
  auto out = request_head(uid, request_id, request_type::server_side_emit);
  out += R"(,"data":)";
  out += data_json;
  out += '}';
  return out;
}

result<std::string> encode_broadcast_request(std::string_view request_id, const adapter_broadcast& b) {
  std::string out;
  mp_writer w{out};
  w.map(5);
  w.str("uid");
  w.str(b.uid);
  w.str("requestId");
  w.str(request_id);
  w.str("type");
  w.uinteger(7);
  w.str("packet");
  auto p = write_packet(w, b.nsp, b.frames);
  if (!p)
    return result<std::string>::fail(p.error());
  w.str("opts");
  write_opts(w, b.opts);
  return result<std::string>::ok(std::move(out));
}

std::string js_date_string(int64_t ms) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  if (!gmtime_r(&t, &tm))
    return "Invalid Date";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %s %02d %04d %02d:%02d:%02d GMT+0000 (Coordinated Universal Time)",
                days[tm.tm_wday], months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::string handshake_json(const handshake_info& h) {
  auto add_pairs = [](std::string& out, const std::vector<std::pair<std::string, std::string>>& pairs) {
    out += '{';
    for (size_t k = 0; k < pairs.size(); ++k) {
      if (k)
        out += ',';
      add_string(out, pairs[k].first);
      out += ':';
      add_string(out, pairs[k].second);
    }
    out += '}';
  };
  bool xdomain = false;
  for (const auto& [name, value] : h.headers)
    xdomain = xdomain || name == "origin";
  std::string out = R"({"headers":)";
  add_pairs(out, h.headers);
  out += R"(,"time":)";
  add_string(out, js_date_string(h.issued_ms));
  out += R"(,"address":)";
  add_string(out, h.address);
  out += R"(,"xdomain":)";
  out += xdomain ? "true" : "false";
  out += R"(,"secure":)";
  out += h.secure ? "true" : "false";
  out += R"(,"issued":)";
  out += std::to_string(h.issued_ms);
  out += R"(,"url":)";
  add_string(out, h.url);
  out += R"(,"query":)";
  add_pairs(out, h.query);
  out += R"(,"auth":)";
  out += h.auth_json.empty() ? "{}" : h.auth_json;
  out += '}';
  return out;
}

} // namespace sio::cluster
