// lib/http/router.hpp
// The one route table of the HTTP server: a method and a path lead to a
// handler. A path is matched as sent (still percent-encoded), exactly by a
// hash lookup, or by prefix for a route whose path ends in "/*": that
// cheap lookup runs for every request, long-polls included.
#pragma once

#include "lib/http/server.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sio::http {

/// Handles a routed request on an I/O thread (must not block). `rest` is
/// the part of the path after a prefix route's "/" (empty for an exact
/// route), still percent-encoded.
using route_handler = std::function<void(exchange& ex, std::string_view rest)>;

/// Routes requests by method and path. Routes are added before serving;
/// dispatch() is then safe from any number of threads.
class router {
public:
  /// The method of a route that takes every method (it answers the ones it
  /// does not serve itself).
  static constexpr std::string_view any_method = "*";

  router();
  ~router();
  router(router&&) noexcept;
  router& operator=(router&&) noexcept;

  /// Serves `method` `path` with `h`. `path` starts with '/'; ending in
  /// "/*" it serves the path before the "/*" and every path under it (the
  /// longest such prefix wins; an exact route beats a prefix). A GET route
  /// also serves HEAD unless a HEAD route is given. Throws
  /// std::invalid_argument for a malformed path or method, or a method
  /// and path that already have a route (any_method conflicts with all).
  void add(std::string method, std::string path, route_handler h);

  /// Answers requests no route's path matches (default: 404 JSON
  /// {"code":"NotFound","message":"no such endpoint"}).
  void set_fallback(std::function<void(exchange&)> fn);

  /// Runs the route for `ex`; a known path with another method gets 405
  /// with Allow, an unknown one the fallback.
  void dispatch(exchange& ex) const;

private:
  struct path_routes;
  const path_routes* find(std::string_view path, std::string_view& rest) const;

  /// Exact paths; keys view the strings their entries own.
  std::unordered_map<std::string_view, std::unique_ptr<path_routes>> exact_;
  /// Prefix routes, longest prefix first.
  std::vector<std::unique_ptr<path_routes>> prefixes_;
  std::function<void(exchange&)> fallback_;
};

} // namespace sio::http
