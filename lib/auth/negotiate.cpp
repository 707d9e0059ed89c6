#include "lib/auth/negotiate.hpp"

#include "lib/auth/jwt.hpp"

namespace sio::auth {

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20)
      out.push_back(c);
  }
  out.push_back('"');
  return out;
}

} // namespace

std::string negotiation::to_json() const {
  return "{\"endpoint\":" + quoted(endpoint) + ",\"path\":" + quoted(path)
         + ",\"token\":" + quoted(token) + "}";
}

negotiation negotiate(std::string_view public_endpoint, std::string_view hub,
                      const access_keys& keys,
                      const std::optional<std::string>& user_id, int64_t now,
                      int64_t lifetime_seconds) {
  negotiation out;
  out.endpoint = std::string{public_endpoint};
  while (!out.endpoint.empty() && out.endpoint.back() == '/')
    out.endpoint.pop_back();
  out.path = "/clients/socketio/hubs/" + std::string{hub};
  token_request req;
  req.audience = out.endpoint + out.path;
  req.user_id = user_id;
  req.lifetime_seconds = lifetime_seconds;
  out.token = make_token(req, keys.primary, now);
  return out;
}

} // namespace sio::auth
