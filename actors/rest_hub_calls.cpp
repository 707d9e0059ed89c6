// Azure's REST operations on one hub (sends, groups, connections, users,
// existence checks, listings, client tokens) and the route table that
// picks them; the extensions are in rest_extensions.cpp.
#include "actors/rest_hub_calls.hpp"

#include "actors/rest_call.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/routing/group_name.hpp"
#include "lib/routing/odata_filter.hpp"

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <variant>

namespace sio::rest {

int64_t now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

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

namespace {

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

} // namespace

void call::command(std::vector<confirmed_command> commands, int status) {
  if (!front) {
    for (auto& c : commands)
      std::visit([&](auto& cmd) { caf::anon_send(hub, std::move(cmd)); }, c.command);
    ex.respond(status_only(status));
    return;
  }
  sys.spawn(confirm_actor, *front, std::move(commands), ex, status);
}

std::optional<std::shared_ptr<const routing::odata_filter>> call::filter() {
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

std::optional<target> call::make_target(target_kind kind, std::string name) {
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

std::optional<std::string> call::payload_text() {
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

void call::send(target to) {
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

void call::groups_by_filter(bool add) {
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

void call::generate_token() {
  token_request_values();
}

void call::token_request_values() {
  auth::token_request tr;
  tr.audience = cfg.public_endpoint + "/clients/socketio/hubs/" + hub_name;
  if (auto u = value(query, "userId"); u && !u->empty())
    tr.user_id = *u;
  tr.roles = values(query, "role", true);
  tr.groups = values(query, "group", false);
  auto minutes = whole_number("minutesToExpire", 1, 60 * 24 * 365, 60,
                              "minutesToExpire must be a whole number >= 1");
  if (!minutes)
    return;
  tr.lifetime_seconds = *minutes * 60;
  auto token = auth::make_token(tr, cfg.keys.primary, now_seconds());
  ex.respond(http::response::json(200, "{\"token\":\"" + token + "\"}"));
}

void call::exists(target to) {
  ask<bool>(sys, hub, exists_query{std::move(to)}, ex, [](bool found) {
    return status_only(found ? 200 : 404);
  });
}

void call::close(target_kind kind, std::string name) {
  auto to = make_target(kind, std::move(name));
  if (!to)
    return;
  to->filter = nullptr; // close calls take no filter
  std::vector<confirmed_command> commands;
  commands.push_back(
    {close_command{std::move(*to), value(query, "reason").value_or("")}});
  command(std::move(commands), 204);
}

void call::membership(target to, std::vector<std::string> groups, bool add,
                      bool not_found_is_404) {
  ask<uint64_t>(sys, hub, membership_command{std::move(to), std::move(groups), add},
      ex, [add, not_found_is_404](uint64_t n) {
        if (n == 0 && not_found_is_404)
          return error(404, "NotFound", "no such connection");
        return status_only(add ? 200 : 204);
      });
}

std::optional<int64_t> call::whole_number(std::string_view key, int64_t lo, int64_t hi,
                                          int64_t absent, const char* message) {
  auto text = value(query, key);
  if (!text)
    return absent;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || v < lo || v > hi) {
    ex.respond(error(400, "InvalidArgument", message));
    return std::nullopt;
  }
  return v;
}

std::optional<size_t> call::page_size() {
  auto n = whole_number("maxpagesize", 1, 200, 200, "maxpagesize must be between 1 and 200");
  if (!n)
    return std::nullopt;
  return static_cast<size_t>(*n);
}

void call::list_group(std::string group) {
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
          body += "{\"connectionId\":";
          protocol::append_json_string(body, c.connection_id);
          body += ',';
          append_string_or_null(body, "userId", c.user_id);
          body += '}';
        }
        body += "]}";
        return http::response::json(200, std::move(body));
      });
}

void call::route(const std::vector<std::string>& seg) {
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

void call::remove_from_all_groups(target to) {
  // The hub cannot list "application" groups apart from namespace rooms
  // generically, so this removes the groups the connection joined through
  // the API: rooms whose name is not a socket room. Kept simple: a list
  // query is not needed; membership_command with an empty group list and
  // add=false means "all application groups".
  ask<uint64_t>(sys, hub, membership_command{std::move(to), {}, false}, ex,
      [](uint64_t) { return status_only(204); });
}

void call::not_found() {
  ex.respond(error(404, "NotFound",
                   "no such operation: " + req.method + " "
                     + std::string{req.path()}));
}

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
