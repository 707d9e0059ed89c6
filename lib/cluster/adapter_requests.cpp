// lib/cluster/adapter_requests.cpp: requests and responses read from JSON
// or msgpack (see adapter_requests.hpp).
#include "lib/cluster/adapter_requests.hpp"

#include "lib/protocol/json_scan.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>


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
  // Full precision: a double must come back as the same bits Node sent.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag>(
    text.data(), text.size());
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

} // namespace sio::cluster
