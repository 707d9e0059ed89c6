#include "actors/rest_hub_calls.hpp"

#include "actors/rest_answers.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/base64.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/percent.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/routing/group_name.hpp"
#include "lib/routing/odata_filter.hpp"

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <variant>

namespace sio::rest {

int64_t now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

// -- one request ---------------------------------------------------------------------

/// A short-lived actor that asks a hub and answers the HTTP exchange from the
/// reply (the I/O thread must not block). The values are spawn arguments,
/// not lambda captures: CAF 0.17 trips UBSan when a function actor is
/// spawned without arguments.
/// The answer to a hub's error reply: 503 when the cluster could not be
/// reached (its fronts fail with runtime_error and the reason), else 500.
http::response failure_response(const caf::error& err) {
  if (err == caf::sec::runtime_error) {
    std::string why = "cluster unavailable";
    if (err.context().match_elements<std::string>())
      why = err.context().get_as<std::string>(0);
    return error(503, "ServiceUnavailable", why);
  }
  if (err == caf::sec::feature_disabled) {
    std::string why = "not implemented";
    if (err.context().match_elements<std::string>())
      why = err.context().get_as<std::string>(0);
    return error(501, "NotImplemented", why);
  }
  return error(500, "InternalServerError", "hub did not answer: " + to_string(err));
}

template <class Result, class Command, class OnReply>
void ask_actor(caf::event_based_actor* self, hub_actor hub, Command cmd,
               http::exchange ex, OnReply on_reply, std::chrono::milliseconds wait) {
  self->request(hub, wait, std::move(cmd))
    .then(
      [self, ex, on_reply](Result& result) {
        ex.respond(on_reply(result));
        self->quit();
      },
      [self, ex](caf::error& err) {
        ex.respond(failure_response(err));
        self->quit();
      });
}

/// Confirmed commands for a cluster front, sent in order; the call is
/// answered `status` once Redis took them all, 503 at the first refusal.
void confirm_actor(caf::event_based_actor* self, cluster_hub_actor front,
                   std::vector<confirmed_command> commands, http::exchange ex,
                   int status) {
  auto left = std::make_shared<size_t>(commands.size());
  auto answered = std::make_shared<bool>(false);
  for (auto& c : commands)
    self->request(front, std::chrono::seconds{30}, std::move(c))
      .then(
        [self, ex, left, answered, status](bool) {
          if (--*left == 0 && !*answered) {
            *answered = true;
            ex.respond(status_only(status));
            self->quit();
          }
        },
        [self, ex, answered](caf::error& err) {
          if (!*answered) {
            *answered = true;
            ex.respond(failure_response(err));
            self->quit();
          }
        });
}

/// Asks the hub; answers the exchange with on_reply(result), or an error
/// when the hub fails or does not answer within `wait`.
template <class Result, class Command, class OnReply>
void ask(caf::actor_system& sys, hub_actor hub, Command cmd,
         http::exchange ex, OnReply on_reply,
         std::chrono::milliseconds wait = std::chrono::seconds{10}) {
  sys.spawn(ask_actor<Result, Command, OnReply>, std::move(hub), std::move(cmd),
            std::move(ex), std::move(on_reply), wait);
}

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

/// The 200 body of an acked send (README, "Sends that wait for acks").
std::string ack_result_json(const ack_result& r) {
  std::string out = "{\"acks\":[";
  for (size_t k = 0; k < r.acks.size(); ++k) {
    auto& a = r.acks[k];
    if (k)
      out += ',';
    out += "{\"socketId\":" + protocol::json_string(a.socket_id)
           + ",\"connectionId\":" + protocol::json_string(a.connection_id)
           + ",\"userId\":"
           + (a.user_id.empty() ? std::string{"null"} : protocol::json_string(a.user_id))
           + ",\"args\":" + (a.args.empty() ? std::string{"[]"} : a.args);
    if (!a.attachments.empty()) {
      out += ",\"attachments\":[";
      for (size_t i = 0; i < a.attachments.size(); ++i) {
        if (i)
          out += ',';
        out += '"' + protocol::base64_encode(a.attachments[i]) + '"';
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"timedOut\":[";
  for (size_t k = 0; k < r.timed_out.size(); ++k) {
    auto& t = r.timed_out[k];
    if (k)
      out += ',';
    out += "{\"socketId\":" + protocol::json_string(t.socket_id)
           + ",\"connectionId\":" + protocol::json_string(t.connection_id);
    if (!t.reason.empty())
      out += ",\"reason\":" + protocol::json_string(t.reason);
    out += '}';
  }
  out += "]}";
  return out;
}

struct call {
  caf::actor_system& sys;
  const rest_settings& cfg;
  const http::exchange& ex;
  const http::request& req;
  query_list query;
  hub_actor hub;
  std::string hub_name;
  const cluster_hub_actor* front;  ///< in a cluster; else null

  /// Sends commands to the hub; answers `status` (at once, or in a cluster
  /// once Redis took them).
  void command(std::vector<confirmed_command> commands, int status) {
    if (!front) {
      for (auto& c : commands)
        std::visit([&](auto& cmd) { caf::anon_send(hub, std::move(cmd)); }, c.command);
      ex.respond(status_only(status));
      return;
    }
    sys.spawn(confirm_actor, *front, std::move(commands), ex, status);
  }

  /// The filter of `filter=` (empty = none); nullopt after answering 400.
  std::optional<std::shared_ptr<const routing::odata_filter>> filter() {
    auto text = value(query, "filter");
    if (!text || text->empty())
      return std::shared_ptr<const routing::odata_filter>{};
    auto f = routing::odata_filter::parse(*text);
    if (!f) {
      ex.respond(error(400, "InvalidFilter", filter_error(*text, f.error())));
      return std::nullopt;
    }
    return std::make_shared<const routing::odata_filter>(std::move(*f));
  }

  std::optional<target> make_target(target_kind kind, std::string name) {
    auto f = filter();
    if (!f)
      return std::nullopt;
    target t;
    t.kind = kind;
    t.name = std::move(name);
    t.excluded = values(query, "excluded", true);
    t.filter = std::move(*f);
    return t;
  }

  /// The body of a send as Engine.IO payload text.
  std::optional<std::string> payload_text() {
    auto* ct = req.find_header("Content-Type");
    std::string_view type = ct ? std::string_view{*ct} : "text/plain";
    type = type.substr(0, type.find(';'));
    if (protocol::ascii_iequals(type, "text/plain")
        || protocol::ascii_iequals(type, "application/octet-stream"))
      return req.body;
    if (protocol::ascii_iequals(type, "application/json")) {
      // The JS SDK JSON-quotes a string sent without contentType text/plain.
      rapidjson::Document doc;
      doc.Parse(req.body.data(), req.body.size());
      if (!doc.HasParseError() && doc.IsString())
        return std::string{doc.GetString(), doc.GetStringLength()};
      ex.respond(error(400, "InvalidPayload",
                       "a JSON body must be a string holding an Engine.IO "
                       "payload; send text/plain"));
      return std::nullopt;
    }
    ex.respond(error(415, "UnsupportedMediaType",
                     "unsupported content type '" + std::string{type}
                       + "' (use text/plain)"));
    return std::nullopt;
  }

  /// `ackTimeout=` of a send: 0 when absent; nullopt after answering 400.
  std::optional<int64_t> ack_timeout() {
    auto v = value(query, "ackTimeout");
    if (!v)
      return 0;
    char* end = nullptr;
    errno = 0;
    long long ms = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0 || ms < 1 || ms > 60000) {
      ex.respond(error(400, "InvalidArgument",
                       "ackTimeout must be a whole number of milliseconds from 1 to 60000"));
      return std::nullopt;
    }
    return ms;
  }

  /// POST .../:send?ackTimeout=ms: one EVENT to the target's sockets, each
  /// with its own ack id; 200 with every socket's answer once all answered
  /// or the timeout passed.
  void acked_send(target to, int64_t timeout_ms) {
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

  /// POST .../:send: packets to the target, with DISCONNECT intercepted.
  void send(target to) {
    auto timeout = ack_timeout();
    if (!timeout)
      return;
    if (*timeout > 0) {
      acked_send(std::move(to), *timeout);
      return;
    }
    auto text = payload_text();
    if (!text)
      return;
    if (text->empty()) {
      ex.respond(error(400, "InvalidPayload", "empty message"));
      return;
    }
    protocol::payload_limits limits;
    limits.max_packet_size = cfg.max_packet_size;
    auto packets = protocol::decode_payload(*text, limits);
    if (!packets) {
      ex.respond(error(400, "InvalidPayload",
                       "not an Engine.IO payload: " + packets.error()));
      return;
    }
    // Validate everything before acting on anything: a bad body changes
    // nothing.
    struct step {
      bool disconnect = false;
      std::string nsp;
      bool close = false;
      std::vector<wire_packet> frames;
    };
    std::vector<step> steps;
    protocol::decoder_limits dl;
    dl.max_packet_size = cfg.max_packet_size;
    dl.allow_disconnect_payload = true;
    protocol::sio_decoder dec{dl};
    size_t index = 0;
    for (auto& p : *packets) {
      ++index;
      if (p.type != protocol::eio_packet_type::message) {
        ex.respond(error(400, "InvalidPayload",
                         "packet " + std::to_string(index)
                           + ": only message packets can be sent"));
        return;
      }
      auto st = p.binary ? dec.feed_binary(p.data) : dec.feed_text(p.data);
      if (st == protocol::sio_decoder::status::invalid) {
        ex.respond(error(400, "InvalidPayload",
                         "packet " + std::to_string(index) + ": "
                           + dec.error()));
        return;
      }
      if (steps.empty() || steps.back().disconnect)
        steps.emplace_back();
      // The frame as the client will get it (shared by all recipients).
      steps.back().frames.push_back(
        {p.binary, std::make_shared<const std::string>(
                     protocol::encode_frame(p))});
      if (st == protocol::sio_decoder::status::need_more)
        continue;
      auto sp = dec.take();
      using t = protocol::sio_packet_type;
      if (sp.type == t::disconnect) {
        steps.back().frames.pop_back();
        if (steps.back().frames.empty())
          steps.pop_back();
        step d;
        d.disconnect = true;
        d.nsp = sp.nsp;
        d.close = protocol::disconnect_requests_close(sp.data);
        steps.push_back(std::move(d));
      } else if (sp.type != t::event && sp.type != t::binary_event) {
        ex.respond(error(400, "InvalidPayload",
                         "packet " + std::to_string(index)
                           + ": only EVENT, BINARY_EVENT and DISCONNECT "
                             "packets can be sent to clients"));
        return;
      }
    }
    if (dec.awaiting_attachments()) {
      ex.respond(error(400, "InvalidPayload",
                       "a binary packet lacks attachments"));
      return;
    }
    std::vector<confirmed_command> commands;
    for (auto& s : steps) {
      if (s.disconnect) {
        commands.push_back({disconnect_command{to, s.nsp, s.close}});
      } else if (!s.frames.empty()) {
        auto batch = std::make_shared<const std::vector<wire_packet>>(
          std::move(s.frames));
        commands.push_back({send_command{to, std::move(batch)}});
      }
    }
    command(std::move(commands), 202);
  }

  /// POST :addToGroups / :removeFromGroups {"groups":[..],"filter":".."}.
  void groups_by_filter(bool add) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(req.body.data(),
                                              req.body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      ex.respond(error(400, "InvalidBody",
                       "body must be a JSON object {groups, filter}"));
      return;
    }
    std::vector<std::string> groups;
    auto g = doc.FindMember("groups");
    if (g == doc.MemberEnd() || !g->value.IsArray()) {
      ex.respond(error(400, "InvalidBody", "groups must be an array"));
      return;
    }
    for (auto& v : g->value.GetArray()) {
      if (!v.IsString()
          || !routing::is_valid_group_name({v.GetString(),
                                            v.GetStringLength()})) {
        ex.respond(error(400, "InvalidGroup",
                         "every group must be a string of 1-1024 "
                         "characters, not only whitespace"));
        return;
      }
      groups.emplace_back(v.GetString(), v.GetStringLength());
    }
    target to;
    if (auto f = doc.FindMember("filter"); f != doc.MemberEnd()) {
      if (!f->value.IsString()) {
        ex.respond(error(400, "InvalidBody", "filter must be a string"));
        return;
      }
      std::string text{f->value.GetString(), f->value.GetStringLength()};
      if (!text.empty()) {
        auto parsed = routing::odata_filter::parse(text);
        if (!parsed) {
          ex.respond(error(400, "InvalidFilter",
                           filter_error(text, parsed.error())));
          return;
        }
        to.filter = std::make_shared<const routing::odata_filter>(
          std::move(*parsed));
      }
    }
    ask<uint64_t>(sys, hub, membership_command{to, std::move(groups), add}, ex,
        [](uint64_t) { return status_only(200); });
  }

  void generate_token() {
    token_request_values();
  }

  void token_request_values() {
    auth::token_request tr;
    tr.audience = cfg.public_endpoint + "/clients/socketio/hubs/" + hub_name;
    if (auto u = value(query, "userId"); u && !u->empty())
      tr.user_id = *u;
    tr.roles = values(query, "role", true);
    tr.groups = values(query, "group", false);
    int64_t minutes = 60;
    if (auto m = value(query, "minutesToExpire")) {
      char* end = nullptr;
      long v = std::strtol(m->c_str(), &end, 10);
      if (m->empty() || *end != '\0' || v < 1 || v > 60 * 24 * 365) {
        ex.respond(error(400, "InvalidArgument",
                         "minutesToExpire must be a whole number >= 1"));
        return;
      }
      minutes = v;
    }
    tr.lifetime_seconds = minutes * 60;
    auto token = auth::make_token(tr, cfg.keys.primary, now_seconds());
    ex.respond(http::response::json(200, "{\"token\":\"" + token + "\"}"));
  }

  void exists(target to) {
    ask<bool>(sys, hub, exists_query{std::move(to)}, ex, [](bool found) {
      return status_only(found ? 200 : 404);
    });
  }

  void close(target_kind kind, std::string name) {
    auto to = make_target(kind, std::move(name));
    if (!to)
      return;
    to->filter = nullptr; // close calls take no filter
    std::vector<confirmed_command> commands;
    commands.push_back(
      {close_command{std::move(*to), value(query, "reason").value_or("")}});
    command(std::move(commands), 204);
  }

  void membership(target to, std::vector<std::string> groups, bool add,
                  bool not_found_is_404) {
    ask<uint64_t>(sys, hub, membership_command{std::move(to), std::move(groups), add},
        ex, [add, not_found_is_404](uint64_t n) {
          if (n == 0 && not_found_is_404)
            return error(404, "NotFound", "no such connection");
          return status_only(add ? 200 : 204);
        });
  }

  /// `maxpagesize=` of a listing (1..200, default 200); nullopt after
  /// answering 400.
  std::optional<size_t> page_size() {
    auto m = value(query, "maxpagesize");
    if (!m)
      return 200;
    char* end = nullptr;
    long v = std::strtol(m->c_str(), &end, 10);
    if (m->empty() || *end != '\0' || v < 1 || v > 200) {
      ex.respond(error(400, "InvalidArgument", "maxpagesize must be between 1 and 200"));
      return std::nullopt;
    }
    return static_cast<size_t>(v);
  }

  void list_group(std::string group) {
    auto max = page_size();
    if (!max)
      return;
    ask<std::vector<connection_info>>(sys, hub, list_query{target::group(std::move(group)), *max}, ex,
        [](std::vector<connection_info>& list) {
          std::string body = "{\"value\":[";
          bool first = true;
          for (auto& c : list) {
            if (!first)
              body += ',';
            first = false;
            body += "{\"connectionId\":" + protocol::json_string(c.connection_id)
                    + ",\"userId\":";
            body += c.user_id.empty() ? std::string{"null"}
                                      : protocol::json_string(c.user_id);
            body += '}';
          }
          body += "]}";
          return http::response::json(200, std::move(body));
        });
  }

  /// GET /api/hubs/{hub}/sockets (an extension): the target's sockets
  /// with their rooms, a page at a time.
  void list_sockets() {
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
        body += "{\"socketId\":" + protocol::json_string(s.socket_id)
                + ",\"connectionId\":" + protocol::json_string(s.connection_id)
                + ",\"userId\":"
                + (s.user_id.empty() ? std::string{"null"} : protocol::json_string(s.user_id))
                + ",\"namespace\":" + protocol::json_string(s.nsp) + ",\"rooms\":[";
        for (size_t r = 0; r < s.rooms.size(); ++r)
          body += (r ? "," : "") + protocol::json_string(s.rooms[r]);
        body += std::string{"],\"transport\":"} + (s.websocket ? "\"websocket\"" : "\"polling\"")
                + ",\"remoteAddress\":" + protocol::json_string(s.remote_address)
                + ",\"connectedAt\":" + protocol::json_string(iso8601(s.connected_at_ms))
                + '}';
      }
      body += ']';
      if (page.more && !page.sockets.empty())
        body += ",\"nextLink\":"
                + protocol::json_string(next + protocol::base64url_encode(page.sockets.back().socket_id));
      body += '}';
      return http::response::json(200, std::move(body));
    });
  }

  /// Routes /api/hubs/{hub}/<rest>.
  void route(const std::vector<std::string>& seg) {
    const auto& m = req.method;
    auto n = seg.size();
    auto is = [&](size_t i, std::string_view s) { return i < n && seg[i] == s; };
    if (n == 1 && seg[0] == ":send" && m == "POST") {
      if (auto to = make_target(target_kind::all, {}))
        send(std::move(*to));
    } else if (n == 1 && seg[0] == ":addToGroups" && m == "POST") {
      groups_by_filter(true);
    } else if (n == 1 && seg[0] == ":removeFromGroups" && m == "POST") {
      groups_by_filter(false);
    } else if (n == 1 && seg[0] == ":generateToken" && m == "POST") {
      generate_token();
    } else if (n == 1 && seg[0] == ":closeConnections" && m == "POST") {
      close(target_kind::all, {});
    } else if (n == 1 && seg[0] == "sockets" && m == "GET") {
      list_sockets();
    } else if (is(0, "groups") && n >= 2) {
      if (!routing::is_valid_group_name(seg[1])) {
        ex.respond(error(400, "InvalidGroup", "invalid group name"));
        return;
      }
      if (n == 3 && seg[2] == ":send" && m == "POST") {
        if (auto to = make_target(target_kind::group, seg[1]))
          send(std::move(*to));
      } else if (n == 3 && seg[2] == ":closeConnections" && m == "POST") {
        close(target_kind::group, seg[1]);
      } else if (n == 2 && m == "HEAD") {
        exists(target::group(seg[1]));
      } else if (n == 3 && seg[2] == "connections" && m == "GET") {
        list_group(seg[1]);
      } else if (n == 4 && seg[2] == "connections" && m == "PUT") {
        membership(target::connection(seg[3]), {seg[1]}, true, true);
      } else if (n == 4 && seg[2] == "connections" && m == "DELETE") {
        membership(target::connection(seg[3]), {seg[1]}, false, false);
      } else {
        not_found();
      }
    } else if (is(0, "connections") && n >= 2) {
      if (n == 3 && seg[2] == ":send" && m == "POST") {
        send(target::connection(seg[1]));
      } else if (n == 2 && m == "HEAD") {
        exists(target::connection(seg[1]));
      } else if (n == 2 && m == "DELETE") {
        close(target_kind::connection, seg[1]);
      } else if (n == 3 && seg[2] == "groups" && m == "DELETE") {
        remove_from_all_groups(target::connection(seg[1]));
      } else {
        not_found();
      }
    } else if (is(0, "users") && n >= 2) {
      target user = target::user(seg[1]);
      // The same group-name rule as /groups/{group} and :addToGroups.
      if (n == 4 && seg[2] == "groups"
          && !routing::is_valid_group_name(seg[3])) {
        ex.respond(error(400, "InvalidGroup", "invalid group name"));
        return;
      }
      if (n == 3 && seg[2] == ":send" && m == "POST") {
        if (auto to = make_target(target_kind::user, seg[1]))
          send(std::move(*to));
      } else if (n == 3 && seg[2] == ":closeConnections" && m == "POST") {
        close(target_kind::user, seg[1]);
      } else if (n == 2 && m == "HEAD") {
        exists(user);
      } else if (n == 4 && seg[2] == "groups" && m == "PUT") {
        membership(user, {seg[3]}, true, false);
      } else if (n == 4 && seg[2] == "groups" && m == "DELETE") {
        membership(user, {seg[3]}, false, false);
      } else if (n == 3 && seg[2] == "groups" && m == "DELETE") {
        remove_from_all_groups(user);
      } else {
        not_found();
      }
    } else {
      not_found();
    }
  }

  /// Leaves every group except the Socket.IO ones the service manages
  /// (namespace and socket groups stay, or the sockets would go deaf).
  void remove_from_all_groups(target to) {
    // The hub cannot list "application" groups apart from namespace rooms
    // generically, so this removes the groups the connection joined through
    // the API: rooms whose name is not a socket room. Kept simple: a list
    // query is not needed; membership_command with an empty group list and
    // add=false means "all application groups".
    ask<uint64_t>(sys, hub, membership_command{std::move(to), {}, false}, ex,
        [](uint64_t) { return status_only(204); });
  }

  void not_found() {
    ex.respond(error(404, "NotFound",
                     "no such operation: " + req.method + " "
                       + std::string{req.path()}));
  }
};

} // namespace

void serve_hub_call(caf::actor_system& sys, const rest_settings& cfg,
                    const http::exchange& ex, query_list query, hub_actor hub,
                    std::string hub_name, const std::vector<std::string>& seg) {
  auto f = cfg.fronts.find(hub_name);
  const cluster_hub_actor* front = f == cfg.fronts.end() ? nullptr : &f->second;
  call c{sys, cfg, ex, ex.req(), std::move(query), std::move(hub),
         std::move(hub_name), front};
  if (seg.empty()) {
    c.not_found();
    return;
  }
  c.route(seg);
}

} // namespace sio::rest
