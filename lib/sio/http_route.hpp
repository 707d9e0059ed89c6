// sio/http_route.hpp (lib/sio/http_route.hpp)
// An application's own HTTP routes, served next to the service's endpoints
// (Engine.IO under /clients/, the REST API under /api/, /health, /metrics):
// a route is a method and a path, its handler gets the request as plain
// values and answers through a responder, at once or later, from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio {

/// A request as a route handler sees it.
struct http_request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< percent-decoded path, e.g. "/scores/alice"
  std::string query;   ///< raw query after '?', without it ("" if none)
  std::vector<std::pair<std::string, std::string>> headers;  ///< as received
  std::string body;
  /// When the route's path ends in "/*": the rest of the path after it.
  std::string rest;

  /// The first header named `name` (case-insensitive), or null.
  const std::string* header(std::string_view name) const;
  /// The percent-decoded value of query parameter `name`, or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

/// A response a route handler gives.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra ones

  /// `status` with a JSON body.
  static http_response json(int status, std::string body);
  /// `status` with a text/plain body.
  static http_response text(int status, std::string body);
  /// `status` with {"code":code,"message":message}, the service's own error
  /// shape.
  static http_response error(int status, std::string_view code,
                             std::string_view message);
};

/// Answers one request, once, from any thread. A responder dropped without
/// answering answers 500; a second answer is ignored.
class http_responder {
public:
  /// `send` delivers the response; it is called at most once.
  explicit http_responder(std::function<void(http_response)> send);
  /// Answers the request.
  void operator()(http_response r) const;

private:
  struct state;
  std::shared_ptr<state> state_;
};

/// A route's handler.
using http_route_handler =
  std::function<void(const http_request& req, http_responder respond)>;

} // namespace sio
