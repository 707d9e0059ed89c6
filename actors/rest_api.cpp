#include "actors/rest_api.hpp"

#include "actors/rest_answers.hpp"
#include "actors/rest_hub_calls.hpp"
#include "actors/rest_query.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/protocol/ascii.hpp"

#include <string_view>
#include <vector>

namespace sio {

namespace {

using rest::error;
using rest::now_seconds;
using rest::status_only;
using rest::value;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (!seg.empty())
      out.emplace_back(seg);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool known_api_version(std::string_view v) {
  static constexpr std::string_view known[] = {
    "2021-08-01-preview", "2021-10-01", "2022-11-01", "2023-07-01",
    "2024-01-01",         "2024-12-01", "2025-01-01-preview",
  };
  for (auto k : known)
    if (k == v)
      return true;
  return false;
}

} // namespace

rest_api::rest_api(caf::actor_system& sys, rest_settings settings)
  : sys_(sys), settings_(std::move(settings)) {
  // nop
}

bool rest_api::handle(const http::exchange& original) const {
  auto path = original.req().path();
  if (path.rfind("/api/", 0) != 0 && path != "/api")
    return false;
  auto ex = original;
  if (auto m = settings_.metrics)
    ex.observe_status([m](int status) {
      m->get_counter("sio_rest_requests_total",
                     "REST data-plane calls by status.",
                     {{"status", std::to_string(status)}})
        .inc();
    });
  auto& req = ex.req();
  auto raw = split_path(path);
  std::vector<std::string> seg;
  for (auto& s : raw) {
    auto d = http::percent_decode(s);
    if (!d) {
      ex.respond(error(400, "InvalidPath", "malformed percent-encoding"));
      return true;
    }
    seg.push_back(std::move(*d));
  }
  if (seg.size() == 2 && seg[1] == "health"
      && (req.method == "HEAD" || req.method == "GET")) {
    ex.respond(status_only(200));
    return true;
  }
  auto query = http::parse_query(req.query());
  if (!query) {
    ex.respond(error(400, "InvalidQuery", "malformed query string"));
    return true;
  }
  if (auto v = value(*query, "api-version"); v && !known_api_version(*v)) {
    ex.respond(error(400, "UnsupportedApiVersion",
                     "api-version '" + *v + "' is not supported"));
    return true;
  }
  // Bearer JWT whose audience is this request's URL (as the SDKs sign it).
  auto* authz = req.find_header("Authorization");
  if (!authz || authz->size() < 8
      || !protocol::ascii_iequals(std::string_view{*authz}.substr(0, 7),
                                  "Bearer ")) {
    ex.respond(error(401, "Unauthorized", "missing bearer token"));
    return true;
  }
  auto claims = auth::verify_hs256(std::string_view{*authz}.substr(7),
                                   settings_.keys, now_seconds());
  if (!claims) {
    ex.respond(error(401, "Unauthorized", claims.error()));
    return true;
  }
  auto url = settings_.public_endpoint + std::string{path};
  bool aud_ok = false;
  for (auto& aud : claims->aud)
    if (auth::audience_matches(aud, url))
      aud_ok = true;
  if (!aud_ok) {
    ex.respond(error(401, "Unauthorized",
                     "token audience does not match the request URL"));
    return true;
  }
  if (seg.size() < 3 || seg[1] != "hubs") {
    ex.respond(error(404, "NotFound", "no such operation"));
    return true;
  }
  auto hub = settings_.hubs.find(seg[2]);
  if (hub == settings_.hubs.end()) {
    ex.respond(error(404, "HubNotFound", "no hub named '" + seg[2] + "'"));
    return true;
  }
  seg.erase(seg.begin(), seg.begin() + 3);
  rest::serve_hub_call(sys_, settings_, ex, std::move(*query), hub->second,
                       hub->first, seg);
  return true;
}

} // namespace sio
