// The REST API's extensions (not in Azure): sends that wait for acks
// (`:send?ackTimeout=ms`) and socket listings (`GET .../sockets`).
#include "actors/rest_call.hpp"

#include "lib/protocol/base64.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/percent.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/routing/group_name.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace sio::rest {

namespace {

/// `ms` since the epoch as RFC 3339 UTC with milliseconds.
std::string iso8601(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80]; // room for any int the compiler cannot bound
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

/// Appends `"key":"value"` (value escaped).
void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":";
  protocol::append_json_string(out, value);
}

/// The 200 body of an acked send (README, "Sends that wait for acks"),
/// written in place: one entry per recipient.
std::string ack_result_json(const ack_result& r) {
  std::string out = "{\"acks\":[";
  for (size_t k = 0; k < r.acks.size(); ++k) {
    auto& a = r.acks[k];
    out += k ? ",{" : "{";
    append_field(out, "socketId", a.socket_id);
    out += ',';
    append_field(out, "connectionId", a.connection_id);
    out += ',';
    append_string_or_null(out, "userId", a.user_id);
    out += ",\"args\":";
    out += a.args.empty() ? std::string_view{"[]"} : std::string_view{a.args};
    if (!a.attachments.empty()) {
      out += ",\"attachments\":[";
      for (size_t i = 0; i < a.attachments.size(); ++i) {
        out += i ? ",\"" : "\"";
        out += protocol::base64_encode(a.attachments[i]);
        out += '"';
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"timedOut\":[";
  for (size_t k = 0; k < r.timed_out.size(); ++k) {
    auto& t = r.timed_out[k];
    out += k ? ",{" : "{";
    append_field(out, "socketId", t.socket_id);
    out += ',';
    append_field(out, "connectionId", t.connection_id);
    if (!t.reason.empty()) {
      out += ',';
      append_field(out, "reason", t.reason);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

} // namespace

std::optional<int64_t> call::ack_timeout() {
  return whole_number("ackTimeout", 1, 60000, 0,
                      "ackTimeout must be a whole number of milliseconds from 1 to 60000");
}

void call::acked_send(target to, int64_t timeout_ms) {
  auto text = payload_text();
  if (!text)
    return;
  protocol::payload_limits limits;
  limits.max_packet_size = cfg.max_packet_size;
  auto packets = protocol::decode_payload(*text, limits);
  if (!packets || packets->empty()) {
    ex.respond(error(400, "InvalidPayload",
                     "not an Engine.IO payload"
                       + (packets ? std::string{": empty"} : ": " + packets.error())));
    return;
  }
  protocol::decoder_limits dl;
  dl.max_packet_size = cfg.max_packet_size;
  protocol::sio_decoder dec{dl};
  std::optional<protocol::sio_packet> event;
  for (auto& p : *packets) {
    if (event || p.type != protocol::eio_packet_type::message) {
      ex.respond(error(400, "InvalidPayload",
                       "an acked send takes one EVENT or BINARY_EVENT packet "
                       "(with its attachments)"));
      return;
    }
    auto st = p.binary ? dec.feed_binary(p.data) : dec.feed_text(p.data);
    if (st == protocol::sio_decoder::status::invalid) {
      ex.respond(error(400, "InvalidPayload", dec.error()));
      return;
    }
    if (st == protocol::sio_decoder::status::complete)
      event = dec.take();
  }
  using t = protocol::sio_packet_type;
  if (!event || (event->type != t::event && event->type != t::binary_event)) {
    ex.respond(error(400, "InvalidPayload",
                     "an acked send takes one EVENT or BINARY_EVENT packet "
                     "(with its attachments)"));
    return;
  }
  if (event->id) {
    ex.respond(error(400, "InvalidPayload",
                     "an acked send's packet carries no ack id: each socket "
                     "gets its own"));
    return;
  }
  acked_send_command cmd;
  cmd.to = std::move(to);
  cmd.nsp = event->nsp.empty() ? std::string{"/"} : event->nsp;
  cmd.data = std::move(event->data);
  cmd.attachments = std::move(event->attachments);
  cmd.timeout = std::chrono::milliseconds{timeout_ms};
  // The hub answers by the timeout; the margin is for a busy hub.
  ask<ack_result>(sys, hub, std::move(cmd), ex,
      [](ack_result& r) {
        if (!r.refused.empty())
          return error(429, "TooManyRequests", r.refused);
        return http::response::json(200, ack_result_json(r));
      },
      std::chrono::milliseconds{timeout_ms} + std::chrono::seconds{10});
}

void call::list_sockets() {
  auto max = page_size();
  if (!max)
    return;
  socket_list_query q;
  q.max = *max;
  if (auto token = value(query, "continuationToken")) {
    // base64url of the last socket id of the previous page.
    auto after = protocol::base64url_decode(*token);
    if (!after || after->empty() || after->size() > 256) {
      ex.respond(error(400, "InvalidArgument", "invalid continuationToken"));
      return;
    }
    q.after = std::move(*after);
  }
  if (auto nsp = value(query, "namespace")) {
    if (nsp->empty() || (*nsp)[0] != '/') {
      ex.respond(error(400, "InvalidArgument", "namespace must start with '/'"));
      return;
    }
    q.nsp = *nsp;
  }
  auto group = value(query, "group");
  if (group && !routing::is_valid_group_name(*group)) {
    ex.respond(error(400, "InvalidGroup", "invalid group name"));
    return;
  }
  auto to = group ? make_target(target_kind::group, *group)
                  : make_target(target_kind::all, {});
  if (!to)
    return;
  q.to = std::move(*to);
  // The next page's link: this request's query with the token replaced.
  std::string next = "/api/hubs/" + protocol::percent_encode(hub_name) + "/sockets?";
  for (auto& [k, v] : query)
    if (k != "continuationToken")
      next += protocol::percent_encode(k) + '=' + protocol::percent_encode(v) + '&';
  next += "continuationToken=";
  ask<socket_page>(sys, hub, std::move(q), ex, [next](socket_page& page) {
    std::string body = "{\"value\":[";
    for (size_t k = 0; k < page.sockets.size(); ++k) {
      auto& s = page.sockets[k];
      if (k)
        body += ',';
      body += '{';
      append_field(body, "socketId", s.socket_id);
      body += ',';
      append_field(body, "connectionId", s.connection_id);
      body += ',';
      append_string_or_null(body, "userId", s.user_id);
      body += ',';
      append_field(body, "namespace", s.nsp);
      body += ",\"rooms\":[";
      for (size_t r = 0; r < s.rooms.size(); ++r) {
        if (r)
          body += ',';
        protocol::append_json_string(body, s.rooms[r]);
      }
      body += "],\"transport\":";
      body += s.websocket ? "\"websocket\"" : "\"polling\"";
      body += ',';
      append_field(body, "remoteAddress", s.remote_address);
      body += ',';
      append_field(body, "connectedAt", iso8601(s.connected_at_ms));
      body += '}';
    }
    body += ']';
    if (page.more && !page.sockets.empty())
      body += ",\"nextLink\":"
              + protocol::json_string(next + protocol::base64url_encode(page.sockets.back().socket_id));
    body += '}';
    return http::response::json(200, std::move(body));
  });
}

} // namespace sio::rest
