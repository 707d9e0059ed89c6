// lib/cluster/adapter_requests.cpp: requests and responses between JSON /
// msgpack and structs (see adapter_requests.hpp).
#include "lib/cluster/adapter_requests.hpp"

#include "lib/cluster/msgpack_writer.hpp"
#include "lib/protocol/json_scan.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/utf8.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace sio::cluster {

using protocol::result;
using K = mp_value::kind;

namespace {

// --- reading JSON --------------------------------------------------------

/// Parses untrusted JSON: size and depth checked before RapidJSON (whose
/// Accept below recurses) sees it.
result<bool> parse_json(rapidjson::Document& doc, std::string_view text, const codec_limits& limits) {
  if (text.size() > limits.max_bytes)
    return result<bool>::fail("message too large");
  protocol::detail::json_scan_options o;
  o.max_depth = limits.max_depth;
  auto scanned = protocol::detail::scan_json(text, o);
  if (!scanned)
    return result<bool>::fail(scanned.error());
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject())
    return result<bool>::fail("not a JSON object");
  return result<bool>::ok(true);
}

std::string to_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w{sb};
  v.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> string_member(const rapidjson::Value& obj, const char* name) {
  auto* v = member(obj, name);
  if (v && v->IsString())
    return std::string{v->GetString(), v->GetStringLength()};
  return std::nullopt;
}

/// Rooms: strings, or numbers as JS writes them.
result<std::vector<std::string>> json_string_list(const rapidjson::Value* v) {
  using R = result<std::vector<std::string>>;
  std::vector<std::string> out;
  if (!v || v->IsNull())
    return R::ok(std::move(out));
  if (!v->IsArray())
    return R::fail("not an array of rooms");
  for (const auto& e : v->GetArray()) {
    if (e.IsString())
      out.emplace_back(e.GetString(), e.GetStringLength());
    else if (e.IsNumber()) {
      std::string t;
      if (e.IsInt64()) t = std::to_string(e.GetInt64());
      else if (e.IsUint64()) t = std::to_string(e.GetUint64());
      else append_js_number(t, e.GetDouble());
      out.push_back(std::move(t));
    } else
      return R::fail("a room is neither a string nor a number");
  }
  return R::ok(std::move(out));
}

result<broadcast_opts> json_opts(const rapidjson::Value& v) {
  using R = result<broadcast_opts>;
  if (!v.IsObject())
    return R::fail("opts is not an object");
  broadcast_opts out;
  auto rooms = json_string_list(member(v, "rooms"));
  auto except = json_string_list(member(v, "except"));
  if (!rooms || !except)
    return R::fail("opts: " + (rooms ? except.error() : rooms.error()));
  out.rooms = std::move(*rooms);
  out.except = std::move(*except);
  return R::ok(std::move(out));
}

/// JS truthiness of a JSON value (Node passes `close` on as it is).
bool truthy(const rapidjson::Value* v) {
  if (!v || v->IsNull() || v->IsFalse())
    return false;
  if (v->IsNumber())
    return v->GetDouble() != 0;
  if (v->IsString())
    return v->GetStringLength() > 0;
  return true;
}

result<adapter_request> json_request(std::string_view bytes, const codec_limits& limits) {
  using R = result<adapter_request>;
  rapidjson::Document doc;
  auto parsed = parse_json(doc, bytes, limits);
  if (!parsed)
    return R::fail("request: " + parsed.error());
  adapter_request r;
  auto* type = member(doc, "type");
  if (!type || !type->IsInt())
    return R::fail("request type is not an integer");
  r.type = type->GetInt();
  r.uid = string_member(doc, "uid").value_or("");
  r.request_id = string_member(doc, "requestId");
  if (auto* o = member(doc, "opts")) {
    auto opts = json_opts(*o);
    if (!opts)
      return R::fail(opts.error());
    r.opts = std::move(*opts);
  }
  auto rooms = json_string_list(member(doc, "rooms"));
  if (!rooms)
    return R::fail("rooms: " + rooms.error());
  r.rooms = std::move(*rooms);
  r.close = truthy(member(doc, "close"));
  r.sid = string_member(doc, "sid").value_or("");
  r.room = string_member(doc, "room").value_or("");
  if (auto* d = member(doc, "data"))
    r.data_json = to_text(*d);
  if (r.type == static_cast<int>(request_type::remote_fetch) && !r.opts)
    return R::fail("REMOTE_FETCH without opts");
  if (r.type == static_cast<int>(request_type::broadcast))
    return R::fail("BROADCAST request in JSON (Node sends msgpack)");
  return R::ok(std::move(r));
}

result<adapter_request> msgpack_request(std::string_view bytes, const codec_limits& limits) {
  using R = result<adapter_request>;
  auto v = decode_msgpack(bytes, limits);
  if (!v)
    return R::fail("request: " + v.error());
  if (v->k != K::map)
    return R::fail("request is not a map");
  adapter_request r;
  auto* type = find_member(*v, "type");
  if (!type || type->k != K::uint64 || type->u > 1000)
    return R::fail("request type is not an integer");
  r.type = static_cast<int>(type->u);
  if (auto* uid = find_member(*v, "uid"); uid && uid->k == K::str)
    r.uid.assign(uid->bytes);
  if (auto* id = find_member(*v, "requestId"); id && id->k == K::str)
    r.request_id.emplace(id->bytes);
  if (auto* o = find_member(*v, "opts")) {
    auto opts = read_opts(*o);
    if (!opts)
      return R::fail(opts.error());
    r.opts = std::move(*opts);
  }
  if (auto* rooms = find_member(*v, "rooms")) {
    auto l = read_string_list(*rooms);
    if (!l)
      return R::fail("rooms: " + l.error());
    r.rooms = std::move(*l);
  }
  if (auto* c = find_member(*v, "close"))
    r.close = c->k == K::boolean ? c->b : (c->k != K::nil && c->k != K::undefined);
  if (auto* d = find_member(*v, "data")) {
    std::vector<std::string> ignored;
    auto j = to_json(*d, ignored, limits);
    if (!j)
      return R::fail("data: " + j.error());
    r.data_json = std::move(*j);
  }
  if (r.type == static_cast<int>(request_type::broadcast)) {
    auto* packet = find_member(*v, "packet");
    if (!packet || !r.opts || !r.request_id)
      return R::fail("BROADCAST request without packet, opts or requestId");
    adapter_broadcast b;
    b.uid = r.uid;
    auto p = read_packet(*packet, b, limits);
    if (!p)
      return R::fail(p.error());
    b.opts = *r.opts;
    r.broadcast = std::move(b);
  }
  return R::ok(std::move(r));
}

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

} // namespace

result<adapter_request> decode_request(std::string_view bytes, const codec_limits& limits) {
  if (bytes.empty())
    return result<adapter_request>::fail("empty request");
  if (bytes[0] == '{')
    return json_request(bytes, limits);
  return msgpack_request(bytes, limits);
}

result<adapter_response> decode_response(std::string_view bytes, const codec_limits& limits) {
  using R = result<adapter_response>;
  adapter_response r;
  if (!bytes.empty() && bytes[0] != '{') { // BROADCAST_ACK
    auto v = decode_msgpack(bytes, limits);
    if (!v)
      return R::fail("response: " + v.error());
    auto* type = find_member(*v, "type");
    auto* id = find_member(*v, "requestId");
    if (!type || type->k != K::uint64 || type->u > 1000 || !id || id->k != K::str)
      return R::fail("msgpack response without type or requestId");
    r.type = static_cast<int>(type->u);
    r.request_id.assign(id->bytes);
    if (auto* p = find_member(*v, "packet"); p && p->k != K::undefined) {
      auto j = to_json(*p, r.ack_attachments, limits);
      if (!j)
        return R::fail("packet: " + j.error());
      r.ack_json = std::move(*j);
    }
    return R::ok(std::move(r));
  }
  rapidjson::Document doc;
  auto parsed = parse_json(doc, bytes, limits);
  if (!parsed)
    return R::fail("response: " + parsed.error());
  if (auto* t = member(doc, "type"); t && t->IsInt())
    r.type = t->GetInt();
  auto id = string_member(doc, "requestId");
  if (!id)
    return R::fail("response without requestId");
  r.request_id = std::move(*id);
  if (auto* s = member(doc, "sockets"); s && s->IsArray()) {
    bool objects = !s->Empty() && (*s)[0].IsObject();
    if (!objects) {
      auto ids = json_string_list(s);
      if (!ids)
        return R::fail("sockets: " + ids.error());
      r.socket_ids = std::move(*ids);
    }
    if (objects || s->Empty())
      r.sockets.emplace();
    if (objects)
      for (const auto& e : s->GetArray()) {
        if (!e.IsObject())
          return R::fail("sockets: mixed entries");
        fetched_socket f;
        f.id = string_member(e, "id").value_or("");
        if (auto* h = member(e, "handshake")) f.handshake_json = to_text(*h);
        if (auto* d = member(e, "data")) f.data_json = to_text(*d);
        auto rooms = json_string_list(member(e, "rooms"));
        if (!rooms)
          return R::fail("socket rooms: " + rooms.error());
        f.rooms = std::move(*rooms);
        r.sockets->push_back(std::move(f));
      }
  }
  if (auto* rooms = member(doc, "rooms"); rooms && rooms->IsArray()) {
    auto l = json_string_list(rooms);
    if (!l)
      return R::fail("rooms: " + l.error());
    r.rooms = std::move(*l);
  }
  if (auto* c = member(doc, "clientCount"); c && c->IsUint64())
    r.client_count = c->GetUint64();
  if (auto* d = member(doc, "data"))
    r.data_json = to_text(*d);
  return R::ok(std::move(r));
}

std::string encode_sockets_response(std::string_view request_id, const std::vector<std::string>& ids) {
  std::string out = R"({"requestId":)";
  add_string(out, request_id);
  out += R"(,"sockets":)";
  add_list(out, ids);
  out += '}';
  return out;
}

std::string encode_all_rooms_response(std::string_view request_id, const std::vector<std::string>& rooms) {
  std::string out = R"({"requestId":)";
  add_string(out, request_id);
  out += R"(,"rooms":)";
  add_list(out, rooms);
  out += '}';
  return out;
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
