// The public route types of <sio/http_route.hpp>: plain values plus a
// one-shot responder that answers 500 if the handler drops it.
#include <sio/http_route.hpp>

#include "lib/http/request.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/json_text.hpp"

#include <atomic>

namespace sio {

const std::string* http_request::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (protocol::ascii_iequals(k, name))
      return &v;
  return nullptr;
}

std::optional<std::string>
http_request::query_param(std::string_view name) const {
  auto pairs = http::parse_query(query);
  if (!pairs)
    return std::nullopt;
  for (auto& [k, v] : *pairs)
    if (k == name)
      return std::move(v);
  return std::nullopt;
}

http_response http_response::json(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response http_response::text(int status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

http_response http_response::error(int status, std::string_view code,
                                   std::string_view message) {
  return json(status, protocol::json_error_body(code, message));
}

struct http_responder::state {
  explicit state(std::function<void(http_response)> fn) : send(std::move(fn)) {
    // nop
  }

  /// The last copy of the responder went: a request nobody answered must
  /// not hang its client.
  ~state() {
    if (!answered.exchange(true) && send)
      send(http_response::error(500, "InternalError",
                                "the route's handler gave no answer"));
  }

  std::function<void(http_response)> send;
  std::atomic<bool> answered{false};
};

http_responder::http_responder(std::function<void(http_response)> send)
  : state_(std::make_shared<state>(std::move(send))) {
  // nop
}

void http_responder::operator()(http_response r) const {
  if (state_ && !state_->answered.exchange(true) && state_->send)
    state_->send(std::move(r));
}

} // namespace sio
