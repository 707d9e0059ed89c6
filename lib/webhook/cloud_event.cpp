#include "lib/webhook/cloud_event.hpp"

#include "lib/auth/random_id.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/base64.hpp"
#include "lib/protocol/json_scan.hpp"
#include "lib/protocol/percent.hpp"
#include "lib/protocol/utf8.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>

namespace sio::webhook {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view json_type = "application/json; charset=utf-8";
constexpr std::string_view text_type = "text/plain";

/// Longest connect rejection text taken from an upstream body.
constexpr size_t max_message_bytes = 512;

void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_multimap(json_writer& w, const multimap& m) {
  w.StartObject();
  for (auto& [name, values] : m) {
    write_string(w, name);
    w.StartArray();
    for (auto& v : values)
      write_string(w, v);
    w.EndArray();
  }
  w.EndObject();
}

request make_event(const service_identity& id, const handler_rule& rule,
                   const socket_info& s, std::string_view type,
                   std::string_view event_name, std::string_view url_event,
                   std::string_view content_type, std::string body,
                   const event_stamp& stamp) {
  request r;
  r.method = "POST";
  r.url = expand_url(rule.url_template, s.hub, url_event);
  r.headers = event_headers(id, s, type, event_name, content_type, stamp);
  r.body = std::move(body);
  return r;
}

} // namespace

const std::string* request::find_header(std::string_view name) const {
  for (auto& h : headers)
    if (protocol::ascii_iequals(h.first, name))
      return &h.second;
  return nullptr;
}

std::string_view to_string(event_kind k) {
  switch (k) {
    case event_kind::connect:
      return "connect";
    case event_kind::connected:
      return "connected";
    case event_kind::disconnected:
      return "disconnected";
    case event_kind::message:
      return "message";
  }
  return "message";
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  // Every event carries ce-time; formatted once per second per thread.
  thread_local std::time_t last_secs = 0;
  thread_local char last[32];
  thread_local size_t last_size = 0;  ///< 0 = nothing formatted yet
  if (last_size == 0 || secs != last_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    last_size = std::strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
    last_secs = secs;
  }
  return std::string{last, last_size};
}

event_stamp event_stamp::make() {
  return {auth::random_id(22), rfc3339_utc(std::chrono::system_clock::now())};
}

// -- event handler settings -----------------------------------------------------

bool matches_user_event(std::string_view pattern, std::string_view name) {
  pattern = protocol::trim(pattern, protocol::json_whitespace);
  if (pattern.empty())
    return false;
  if (pattern == "*")
    return true;
  while (!pattern.empty()) {
    auto comma = pattern.find(',');
    auto item =
      protocol::trim(pattern.substr(0, comma), protocol::json_whitespace);
    // Event names are case-sensitive in Socket.IO, so the list is too.
    if (item == "*" || (!item.empty() && item == name))
      return true;
    if (comma == std::string_view::npos)
      break;
    pattern.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<size_t> match_rule(const std::vector<handler_rule>& rules,
                                 event_kind kind, std::string_view event_name) {
  for (size_t i = 0; i < rules.size(); ++i) {
    auto& r = rules[i];
    if (kind == event_kind::message) {
      if (matches_user_event(r.user_event_pattern, event_name))
        return i;
      continue;
    }
    for (auto& e : r.system_events)
      if (protocol::ascii_iequals(e, to_string(kind)))
        return i;
  }
  return std::nullopt;
}

std::string expand_url(std::string_view url_template, std::string_view hub,
                       std::string_view event) {
  // Azure substitutes the hub name as is; our hub names are validated to
  // letters, digits and _`,.[] so they cannot break out of the path.
  auto encoded_event = protocol::percent_encode(event);
  std::string out;
  out.reserve(url_template.size() + hub.size() + encoded_event.size());
  size_t i = 0;
  while (i < url_template.size()) {
    auto brace = url_template.find('{', i);
    out.append(url_template.substr(i, brace - i));
    if (brace == std::string_view::npos)
      break;
    auto rest = url_template.substr(brace);
    if (rest.substr(0, 5) == "{hub}") {
      out.append(hub);
      i = brace + 5;
    } else if (rest.substr(0, 7) == "{event}") {
      out.append(encoded_event);
      i = brace + 7;
    } else {
      out.push_back('{');
      i = brace + 1;
    }
  }
  return out;
}

// -- building requests -------------------------------------------------------------

std::vector<header> event_headers(const service_identity& id,
                                  const socket_info& s, std::string_view type,
                                  std::string_view event_name,
                                  std::string_view content_type,
                                  const event_stamp& stamp) {
  std::vector<header> h;
  h.reserve(15);
  h.emplace_back("Content-Type", content_type);
  h.emplace_back("ce-specversion", "1.0");
  h.emplace_back("ce-type", type);
  h.emplace_back("ce-source", "/hubs/" + s.hub + "/client/" + s.connection_id);
  h.emplace_back("ce-id", stamp.id);
  h.emplace_back("ce-time", stamp.time);
  h.emplace_back("ce-signature", auth::ce_signature(id.keys, s.connection_id));
  h.emplace_back("ce-connectionId", s.connection_id);
  h.emplace_back("ce-hub", s.hub);
  h.emplace_back("ce-eventName", event_name);
  h.emplace_back("ce-namespace", s.nsp);
  h.emplace_back("ce-socketId", s.socket_id);
  if (!s.user_id.empty())
    h.emplace_back("ce-userId", s.user_id);
  // Not in the Socket.IO spec, but the express SDK ignores any request
  // without it (protocol.md §11 row 4).
  h.emplace_back("ce-awpsversion", "1.0");
  h.emplace_back("WebHook-Request-Origin", id.origin_host);
  return h;
}

std::string connect_body(const multimap& claims, const multimap& query,
                         const multimap& headers, std::string_view auth_json) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("claims");
  write_multimap(w, claims);
  w.Key("query");
  write_multimap(w, query);
  w.Key("headers");
  write_multimap(w, headers);
  // .NET's parser calls GetProperty on all five keys (§11 row 5).
  w.Key("subprotocols");
  w.StartArray();
  w.EndArray();
  w.Key("clientCertificates");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  std::string out{sb.GetString(), sb.GetSize()};
  // The CONNECT auth payload as an extra key (§11 row 6; ignored by both
  // SDKs). Only a well-formed JSON object is embedded, re-serialized.
  if (!auth_json.empty()) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(auth_json.data(),
                                              auth_json.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      rapidjson::StringBuffer ab;
      json_writer aw{ab};
      doc.Accept(aw);
      out.pop_back();
      out += ",\"auth\":";
      out.append(ab.GetString(), ab.GetSize());
      out += '}';
    }
  }
  return out;
}

std::string disconnected_body(std::string_view reason) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("reason");
  write_string(w, reason);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

size_t message_body_size(std::string_view packet,
                         const std::vector<std::string>& attachments) noexcept {
  size_t size = packet.size();
  for (auto& a : attachments)
    size += 2 + protocol::base64_encoded_size(a.size()); // \x1e, 'b', base64
  return size;
}

std::string message_body(std::string_view packet,
                         const std::vector<std::string>& attachments) {
  std::string out;
  out.reserve(message_body_size(packet, attachments));
  out.append(packet);
  for (auto& a : attachments) {
    out.push_back('\x1e');
    out.push_back('b');
    out += protocol::base64_encode(a);
  }
  return out;
}

request connect_request(const service_identity& id, const handler_rule& rule,
                        const socket_info& s, const multimap& claims,
                        const multimap& query, const multimap& headers,
                        std::string_view auth_json, const event_stamp& stamp) {
  return make_event(id, rule, s, "azure.webpubsub.sys.connect", "connect",
                    "connect", json_type,
                    connect_body(claims, query, headers, auth_json), stamp);
}

request connected_request(const service_identity& id, const handler_rule& rule,
                          const socket_info& s, const event_stamp& stamp) {
  // Always `{}`, never empty: the express SDK JSON.parses it (§11 row 24).
  return make_event(id, rule, s, "azure.webpubsub.sys.connected", "connected",
                    "connected", json_type, "{}", stamp);
}

request disconnected_request(const service_identity& id,
                             const handler_rule& rule, const socket_info& s,
                             std::string_view reason,
                             const event_stamp& stamp) {
  return make_event(id, rule, s, "azure.webpubsub.sys.disconnected",
                    "disconnected", "disconnected", json_type,
                    disconnected_body(reason), stamp);
}

request message_request(const service_identity& id, const handler_rule& rule,
                        const socket_info& s, std::string_view event_name,
                        std::string_view packet,
                        const std::vector<std::string>& attachments,
                        const event_stamp& stamp) {
  // Always text/plain: the Functions extension accepts nothing else (§11
  // row 2); binary attachments travel in the payload form.
  return make_event(id, rule, s, "azure.webpubsub.user.message", event_name,
                    event_name, text_type, message_body(packet, attachments),
                    stamp);
}

std::string disconnected_reason(std::string_view session_reason) {
  if (session_reason == "client namespace disconnect")
    return {};
  return std::string{session_reason};
}

// -- abuse protection -------------------------------------------------------------

request validation_request(const service_identity& id, const handler_rule& rule,
                           std::string_view hub) {
  request r;
  // OPTIONS, as the CloudEvents webhook spec and Azure do (§11 row 17).
  r.method = "OPTIONS";
  r.url = expand_url(rule.url_template, hub, "validate");
  r.headers.emplace_back("WebHook-Request-Origin", id.origin_host);
  r.headers.emplace_back("ce-awpsversion", "1.0");
  return r;
}

validation_result check_validation(int status,
                                   const std::vector<header>& headers,
                                   std::string_view origin_host,
                                   std::string_view origin_host_port) {
  if (status < 200 || status > 299)
    return {false, "abuse protection: OPTIONS answered "
                     + std::to_string(status)};
  bool any = false;
  for (auto& [name, value] : headers) {
    if (!protocol::ascii_iequals(name, "WebHook-Allowed-Origin"))
      continue;
    any = true;
    std::string_view rest = value;
    while (true) {
      auto comma = rest.find(',');
      auto item =
        protocol::trim(rest.substr(0, comma), protocol::json_whitespace);
      // `*`; the bare host (Functions extension); host:port (the express
      // SDK derives allowed origins with new URL(endpoint).host).
      if (item == "*" || protocol::ascii_iequals(item, origin_host)
          || (!origin_host_port.empty() && protocol::ascii_iequals(item, origin_host_port)))
        return {true, {}};
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (!any)
    return {false, "abuse protection: no WebHook-Allowed-Origin header"};
  return {false, "abuse protection: WebHook-Allowed-Origin does not allow "
                   + std::string{origin_host}};
}

// -- reading answers ------------------------------------------------------------------

connect_decision decide_connect(int status, std::string_view body) {
  connect_decision d;
  // UTF-8 is checked with protocol::is_valid_utf8, not RapidJSON's validating
  // Writer: that reads one byte past a truncated multi-byte sequence at the
  // end of a view (found by fuzz-webhook-response).
  auto text = protocol::trim(body, protocol::json_whitespace);
  if (status >= 200 && status <= 299) {
    d.accepted = true;
    if (text.empty() || text.front() != '{')
      return d;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject())
      return d;
    auto u = doc.FindMember("userId");
    if (u != doc.MemberEnd() && u->value.IsString()
        && u->value.GetStringLength() <= max_message_bytes) {
      std::string_view id{u->value.GetString(), u->value.GetStringLength()};
      if (protocol::is_valid_utf8(id))
        d.user_id = std::string{id};
    }
    auto g = doc.FindMember("groups");
    if (g != doc.MemberEnd() && g->value.IsArray())
      for (auto& v : g->value.GetArray())
        if (v.IsString() && d.groups.size() < max_connect_groups)
          d.groups.emplace_back(v.GetString(), v.GetStringLength());
    return d;
  }
  if (!text.empty() && text.front() == '{') {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      auto m = doc.FindMember("message");
      if (m != doc.MemberEnd() && m->value.IsString()) {
        std::string_view msg{m->value.GetString(),
                             m->value.GetStringLength()};
        // Raw invalid bytes in the JSON string must not reach the client's
        // CONNECT_ERROR (found by fuzz-webhook-response).
        if (!msg.empty() && protocol::is_valid_utf8(msg)) {
          d.message =
            std::string{protocol::utf8_prefix(msg, max_message_bytes)};
          return d;
        }
      }
    }
  }
  if (!text.empty() && protocol::is_valid_utf8(text)) {
    d.message = std::string{protocol::utf8_prefix(text, max_message_bytes)};
    return d;
  }
  d.message = "upstream answered " + std::to_string(status);
  return d;
}

std::string error_json(std::string_view message) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("message");
  write_string(w, message);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string message_reply(int status, std::string_view body) {
  if (status < 200 || status > 299)
    return {};
  return std::string{body};
}

} // namespace sio::webhook
