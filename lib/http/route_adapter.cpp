#include "lib/http/route_adapter.hpp"

#include <utility>

namespace sio::http {

std::optional<http_request> route_request_of(const exchange& ex,
                                             std::string_view rest) {
  auto& req = ex.req();
  auto path = percent_decode(req.path());
  auto decoded_rest = percent_decode(rest);
  if (!path || !decoded_rest)
    return std::nullopt;
  http_request out;
  out.method = req.method;
  out.path = std::move(*path);
  out.query = std::string{req.query()};
  out.headers = req.headers;
  out.body = req.body;
  out.rest = std::move(*decoded_rest);
  return out;
}

response to_response(http_response r) {
  response out;
  out.status = r.status;
  out.headers.reserve(r.headers.size() + 1);
  if (!r.content_type.empty())
    out.headers.emplace_back("Content-Type", std::move(r.content_type));
  for (auto& h : r.headers)
    out.headers.push_back(std::move(h));
  out.body = std::move(r.body);
  return out;
}

route_handler adapt_route(http_route_handler h) {
  return [h = std::move(h)](exchange& ex, std::string_view rest) {
    auto req = route_request_of(ex, rest);
    if (!req) {
      ex.respond(to_response(http_response::error(
        400, "InvalidPath", "malformed percent-encoding")));
      return;
    }
    // The responder owns a copy of the exchange: it may answer later,
    // from any thread, and its last copy dropped answers 500.
    http_responder respond{[ex](http_response r) {
      ex.respond(to_response(std::move(r)));
    }};
    // A handler that throws has dropped its responder: the client gets
    // 500, and the I/O thread goes on.
    try {
      h(*req, std::move(respond));
    } catch (...) {
    }
  };
}

} // namespace sio::http
