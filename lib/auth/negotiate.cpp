#include "lib/auth/negotiate.hpp"

#include "lib/auth/jwt.hpp"
#include "lib/protocol/json_text.hpp"

namespace sio::auth {


std::string negotiation::to_json() const {
  return "{\"endpoint\":" + protocol::json_string(endpoint) + ",\"path\":" + protocol::json_string(path)
         + ",\"token\":" + protocol::json_string(token) + "}";
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
